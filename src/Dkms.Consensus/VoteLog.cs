using Dkms.Core.Blocks;
using Dkms.Core.Primitives;

namespace Dkms.Consensus;

/// <summary>The votes of one (round, type) at the current height, tallied by power. One vote per validator
/// counts; a second, different one is equivocation evidence and is not counted.</summary>
internal sealed class RoundVotes
{
    private readonly Dictionary<PublicKey, Vote> _byValidator = new();
    private readonly Dictionary<Hash32, long> _powerByHash = new();

    public long TotalPower { get; private set; }

    public IEnumerable<Vote> All => _byValidator.Values;

    /// <summary>The vote of <paramref name="validator"/> that counts, if any.</summary>
    public bool TryGet(PublicKey validator, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Vote vote) => _byValidator.TryGetValue(validator, out vote);

    /// <summary>Adds <paramref name="vote"/>; returns the earlier conflicting vote when the validator equivocates.</summary>
    public Vote? Add(Vote vote, long power, out bool added)
    {
        added = false;
        if (_byValidator.TryGetValue(vote.Validator, out var earlier))
        {
            return earlier.BlockHash == vote.BlockHash ? null : earlier;
        }

        _byValidator[vote.Validator] = vote;
        _powerByHash[vote.BlockHash] = _powerByHash.GetValueOrDefault(vote.BlockHash) + power;
        TotalPower += power;
        added = true;
        return null;
    }

    /// <summary>Power voting for <paramref name="hash"/> (zero = nil).</summary>
    public long PowerFor(Hash32 hash) => _powerByHash.GetValueOrDefault(hash);

    public IEnumerable<KeyValuePair<Hash32, long>> Tallies => _powerByHash;

    public IEnumerable<Vote> For(Hash32 hash) => _byValidator.Values.Where(v => v.BlockHash == hash);
}

/// <summary>All messages of the current height, by round.</summary>
internal sealed class HeightLog
{
    private readonly Dictionary<(int Round, VoteType Type), RoundVotes> _votes = new();
    private readonly Dictionary<int, HashSet<PublicKey>> _senders = new();
    private readonly Dictionary<int, long> _senderPower = new();

    public Dictionary<int, Proposal> Proposals { get; } = new();

    public Dictionary<Hash32, Block> Blocks { get; } = new();

    public RoundVotes Votes(int round, VoteType type)
    {
        if (!_votes.TryGetValue((round, type), out var rv))
        {
            rv = new RoundVotes();
            _votes[(round, type)] = rv;
        }

        return rv;
    }

    public IEnumerable<int> PrecommitRounds => _votes.Keys.Where(k => k.Type == VoteType.Precommit).Select(k => k.Round);

    /// <summary>Counts a distinct sender of any message at <paramref name="round"/> (for line 55).</summary>
    public void NoteSender(int round, PublicKey sender, long power)
    {
        if (!_senders.TryGetValue(round, out var set))
        {
            set = new HashSet<PublicKey>();
            _senders[round] = set;
        }

        if (set.Add(sender)) _senderPower[round] = _senderPower.GetValueOrDefault(round) + power;
    }

    public IEnumerable<KeyValuePair<int, long>> SenderPower => _senderPower;
}
