using System.Collections.Immutable;
using Dkms.Core.Blocks;
using Dkms.Core.Genesis;

namespace Dkms.Client;

/// <summary>A validator set this client verified, in force from <see cref="FromHeight"/>, with the governance sequence of
/// the change that made it (0: the genesis set).</summary>
public sealed record TrustedValidatorSet(ulong Sequence, ulong FromHeight, ValidatorSet Set)
{
    /// <summary>The certified block time (Unix ms) of the newest header this client verified as signed by this set — the
    /// change's commit, or a later answer (<see cref="TrustedChain.Seen"/>); for a root, the time it was trusted at. 0:
    /// unknown. The light-client skipping rule trusts a set only for a <see cref="SkippingRule.TrustingPeriod"/> after it.</summary>
    public long VerifiedAtMs { get; init; }

    /// <summary>True when this set was reached by skipping (<see cref="ValidatorHistory.Skip"/>): the changes between the set
    /// before it and this one were not followed, so the heights between the two sets' <see cref="FromHeight"/>s are not
    /// covered by any set this client knows.</summary>
    public bool Skipped { get; init; }
}

/// <summary>
/// What a verifying client trusts without asking any node: the chain's id and a validator set whose quorum certifies
/// its blocks — the genesis set, or a set the client trusted at a height (<see cref="FromTrustedSet"/>) — followed by the
/// validator-set changes it has verified since (<see cref="ValidatorHistory.Follow"/>), each certified by the set before
/// it. An answer at a height is checked against the set in force at that height (<see cref="SetAt"/>). Immutable: following
/// a change gives a new chain.
/// </summary>
public sealed record TrustedChain
{
    public TrustedChain(string chainId, ValidatorSet validators, ulong rootHeight = 0, ulong rootSequence = 0, DateTimeOffset? trustedAt = null)
    {
        ChainId = chainId;
        Sets = [new TrustedValidatorSet(rootSequence, rootHeight, validators) { VerifiedAtMs = UnixMs(trustedAt) }];
    }

    public string ChainId { get; }

    /// <summary>Headers whose certificates were verified against this chain's sets (shared by the chains followed from this
    /// one: a set keeps its identity when the chain grows).</summary>
    public CertifiedHeaders CertifiedHeaders { get; private init; } = new();

    /// <summary>The root of trust first, then each verified change, by sequence. Never empty.</summary>
    public ImmutableArray<TrustedValidatorSet> Sets { get; private init; }

    /// <summary>The root of trust: the lowest height this client can verify an answer at.</summary>
    public TrustedValidatorSet Root => Sets[0];

    /// <summary>The newest set this client knows (the one a newer change must be certified by).</summary>
    public TrustedValidatorSet Latest => Sets[^1];

    /// <summary>The genesis (or root) validator set.</summary>
    public ValidatorSet Validators => Root.Set;

    /// <summary>Trusts the genesis set as of <paramref name="trustedAt"/> (default: the genesis time), the start of the
    /// trusting period in which the skipping rule may rely on it.</summary>
    public static TrustedChain FromGenesis(GenesisDocument genesis, DateTimeOffset? trustedAt = null) =>
        new(genesis.ChainId, genesis.ValidatorSet(), trustedAt: trustedAt ?? genesis.GenesisTime);

    /// <summary>Trusts <paramref name="validators"/> as the set in force at <paramref name="height"/>, made by the change of
    /// governance sequence <paramref name="sequence"/> (checked out of band, e.g. with the chain's operators, at
    /// <paramref name="trustedAt"/>; without it the skipping rule never starts from this set).</summary>
    public static TrustedChain FromTrustedSet(string chainId, ValidatorSet validators, ulong height, ulong sequence, DateTimeOffset? trustedAt = null) =>
        new(chainId, validators, height, sequence, trustedAt);

    /// <summary>The set in force at <paramref name="height"/> as far as this client knows, or null below the root of trust.</summary>
    public ValidatorSet? SetAt(ulong height)
    {
        if (height < Root.FromHeight) return null;
        for (var i = Sets.Length - 1; i > 0; i--)
        {
            if (Sets[i].FromHeight <= height) return Sets[i].Set;
            // Below a set reached by skipping, the set before it is known in force from its own height only until a change
            // this client did not follow: nothing here may certify those heights.
            if (Sets[i].Skipped && height >= Sets[i - 1].FromHeight) return null;
        }

        return Root.Set;
    }

    /// <summary>True when <paramref name="height"/> lies in a range skipped over (see <see cref="TrustedValidatorSet.Skipped"/>).</summary>
    public bool IsSkippedOver(ulong height) => height >= Root.FromHeight && SetAt(height) is null;

    /// <summary>This chain knowing that its newest set certified a header at <paramref name="height"/> with block time
    /// <paramref name="blockTime"/> (a verified answer): the trusting period of the skipping rule runs from there.</summary>
    public TrustedChain Seen(ulong height, DateTimeOffset blockTime)
    {
        return height < Latest.FromHeight ? this : Refreshed(UnixMs(blockTime));
    }

    /// <summary>
    /// This chain with sets this client verified on an earlier run (kept where only it writes, e.g. the CLI's cache): each
    /// the next sequence, in force from a later height. They are not checked again — the cache is as trusted as the genesis
    /// beside it. Throws <see cref="ArgumentException"/> for sets that do not continue this chain.
    /// </summary>
    public TrustedChain Resume(IEnumerable<TrustedValidatorSet> verified)
    {
        var chain = this;
        foreach (var next in verified)
        {
            if (next.Sequence < chain.Latest.Sequence) continue; // already known
            if (next.Sequence == chain.Latest.Sequence)
            {
                if (next.FromHeight == chain.Latest.FromHeight) chain = chain.Refreshed(next.VerifiedAtMs);
                continue;
            }

            var continues = next.Skipped ? next.Sequence > chain.Latest.Sequence + 1 : next.Sequence == chain.Latest.Sequence + 1;
            if (!continues || next.FromHeight <= chain.Latest.FromHeight)
            {
                throw new ArgumentException($"set {next.Sequence} from height {next.FromHeight} does not continue set {chain.Latest.Sequence} from height {chain.Latest.FromHeight}", nameof(verified));
            }

            chain = chain.With(next);
        }

        return chain;
    }

    /// <summary>This chain with <paramref name="next"/> added; <see cref="ValidatorHistory"/> calls it after verifying it.</summary>
    internal TrustedChain With(TrustedValidatorSet next) => this with { Sets = Sets.Add(next) };

    private TrustedChain Refreshed(long verifiedAtMs) =>
        verifiedAtMs <= Latest.VerifiedAtMs ? this : this with { Sets = Sets.SetItem(Sets.Length - 1, Latest with { VerifiedAtMs = verifiedAtMs }) };

    private static long UnixMs(DateTimeOffset? time) => time is { } t && t > DateTimeOffset.UnixEpoch ? t.ToUnixTimeMilliseconds() : 0;
}
