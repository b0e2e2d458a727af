using Dkms.Core.Transactions;

namespace Dkms.Ledger.Tests.Support;

/// <summary>
/// Generates a deterministic stream of blocks mixing valid and invalid transactions of every type,
/// from a seed. It tracks what it believes the state is only loosely: whether a transaction is
/// accepted is the ledger's business, and the property tests compare ledgers with each other.
/// </summary>
public sealed class RandomWorkload(int seed)
{
    private readonly Random _rnd = new(seed);
    private readonly List<Actor> _actors = [];
    private readonly Dictionary<Actor, ulong> _seq = [];
    private int _created;

    public IReadOnlyList<Actor> Actors => _actors;

    /// <summary>The next block: 1..8 transactions.</summary>
    public Transaction[] NextBlock()
    {
        var n = _rnd.Next(1, 9);
        return [.. Enumerable.Range(0, n).Select(_ => NextTransaction())];
    }

    /// <summary>Tells the generator which transactions of the last block were accepted.</summary>
    public void Observe(Transaction[] block, IReadOnlyList<TxResult> results)
    {
        for (var i = 0; i < block.Length; i++)
        {
            if (!results[i].IsOk) continue;
            var actor = _actors.FirstOrDefault(a => a.Id == block[i].Subject);
            if (actor is null) continue;
            _seq[actor] = block[i].Sequence;
            if (block[i].Body.Payload is RotationPayload) actor.Rotation++;
        }
    }

    private Transaction NextTransaction()
    {
        if (_actors.Count < 3 || _rnd.Next(6) == 0) return NewActor();
        var a = _actors[_rnd.Next(_actors.Count)];
        var seq = _seq.GetValueOrDefault(a) + 1;
        if (_rnd.Next(10) == 0) seq += (ulong)_rnd.Next(1, 3); // a gap: BadSequence
        var choice = _rnd.Next(9);
        return choice switch
        {
            0 => a.Sign(new RotationPayload(a.ConfigAt(a.Rotation + 1)), seq, a.Next),
            1 => a.Sign(new RotationPayload(a.ConfigAt(a.Rotation + 1)), seq, a.Current), // thief: rejected
            2 => a.Sign(new AddKeyAgreementKeyPayload(new KeyAgreementKeyEntry($"k{_rnd.Next(4)}", new Actor($"kak{_rnd.Next(1000)}").Current[0].PublicKey, "enc")), seq, a.Current),
            3 => a.Sign(new RevokeKeyPayload($"k{_rnd.Next(4)}", null, null), seq, a.Current),
            4 => a.Sign(new SetAgentPolicyPayload("p", [new AgentChange(a.Agent($"g{_rnd.Next(3)}").PublicKey, (AgentRights)_rnd.Next(16))], null), seq, a.Current),
            5 => a.Sign(new SetAgentPolicyPayload("p", [new AgentChange(a.Agent($"g{_rnd.Next(3)}").PublicKey, AgentRights.Prove)], null), seq, [a.Agent($"g{_rnd.Next(3)}")]),
            6 => SetRecovery(a, seq),
            7 => a.Sign(new DeactivatePayload(), seq, _rnd.Next(4) == 0 ? a.Next : a.Current),
            _ => StartRecovery(a, seq),
        };
    }

    private Transaction NewActor()
    {
        var a = new Actor($"actor{_created++}", keys: _rnd.Next(1, 4), threshold: 1);
        _actors.Add(a);
        return a.Incept();
    }

    private Transaction SetRecovery(Actor a, ulong seq)
    {
        var trustees = _actors.Where(t => t != a).OrderBy(_ => _rnd.Next()).Take(2).Select(t => t.Id).ToArray();
        var policy = new RecoveryPolicy(trustees, 2, LedgerHarness.MinRecoveryDelaySeconds + (ulong)_rnd.Next(0, 3));
        // Either a pending change by the current keys or an immediate one by the next keys.
        return _rnd.Next(2) == 0
            ? a.Sign(new SetRecoveryPolicyPayload(policy), seq, a.Current)
            : a.Sign(new SetRecoveryPolicyPayload(policy, Immediate: true), seq, a.Next);
    }

    private Transaction StartRecovery(Actor a, ulong seq)
    {
        var trustees = _actors.Where(t => t != a).OrderBy(_ => _rnd.Next()).Take(2).ToArray();
        if (_rnd.Next(2) == 0)
        {
            return a.Sign(new RecoveryFinalizePayload(), seq, [a.Current[0]]);
        }

        return a.SignWith(new RecoveryStartPayload(new Actor($"{a.Name}-r{_rnd.Next(100)}").ConfigAt(0)), seq, trustees.SelectMany(t => t.AsTrustee()));
    }
}
