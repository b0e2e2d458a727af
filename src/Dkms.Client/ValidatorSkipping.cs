using Dkms.Core.Blocks;
using Dkms.Core.Encoding;
using Dkms.Core.Transactions;
using Dkms.Ledger.State;
using Dkms.Rpc;

namespace Dkms.Client;

/// <summary>
/// When a client may skip validator-set changes (the light-client rule): the newest set it trusts is relied on only within
/// <see cref="TrustingPeriod"/> after the newest header it verified as signed by that set, and only for more than a third of
/// its power (<see cref="ValidatorHistory.Skip"/>). Sequential following (<see cref="ValidatorHistory.Follow"/>) needs
/// neither and stays available after the period.
/// </summary>
public sealed record SkippingRule(TimeSpan TrustingPeriod, TimeProvider? Clock = null)
{
    /// <summary>Two weeks, as light clients of comparable chains default to: far shorter than the time a key of a validator
    /// that left the set can be expected to stay unused and secret.</summary>
    public static readonly TimeSpan DefaultTrustingPeriod = TimeSpan.FromDays(14);

    public static SkippingRule Default { get; } = new(DefaultTrustingPeriod);

    /// <summary>How far ahead of this client's clock a certified block time may be (the proposers' clocks drift).</summary>
    public TimeSpan MaxClockDrift { get; init; } = TimeSpan.FromMinutes(10);

    public DateTimeOffset Now => (Clock ?? TimeProvider.System).GetUtcNow();

    /// <summary>True when <paramref name="set"/> was verified (its change, or an answer it certified) within the period.</summary>
    public bool Trusts(TrustedValidatorSet set) =>
        set.VerifiedAtMs > 0 && Now - DateTimeOffset.FromUnixTimeMilliseconds(set.VerifiedAtMs) <= TrustingPeriod;
}

/// <summary>Why a skip was not taken: only <see cref="Invalid"/> is a lie; the others leave sequential following.</summary>
public enum SkipRefusal
{
    None,

    /// <summary>The trusted set was last verified longer than the trusting period ago (or never): follow one by one.</summary>
    TrustExpired,

    /// <summary>A third or less of the trusted set's power signed the change's block: skip to a change in between first.</summary>
    NotEnoughOverlap,

    /// <summary>The change does not authenticate.</summary>
    Invalid,
}

public static partial class ValidatorHistory
{
    /// <summary>Bisection halves the gap each time it cannot skip, so the depth is the bits of a sequence at most.</summary>
    private const int MaxSkipSteps = 128;

    /// <summary>
    /// Skips from <paramref name="chain"/>'s newest set <c>L</c> to <paramref name="change"/>, a later change than the next
    /// one, without the changes between. Accepted only when
    /// <list type="bullet">
    /// <item><c>L</c> was verified (its change's commit, or a later answer it certified) within the trusting period,</item>
    /// <item>the validator-set record the change's proof carries names the set in force at the proof's height, more than 2/3
    /// of whose power signed that height's commit certificate, and the certified header's state root proves the record,</item>
    /// <item>the signers hold more than a third of <c>L</c>'s power: while fewer than a third of <c>L</c> is faulty, at
    /// least one honest member of <c>L</c> vouches for the header,</item>
    /// <item>the height is not before <c>L</c> took effect and the block time is not ahead of this client's clock,</item>
    /// <item>the record is of this change's sequence, holds exactly the listed set, from the listed height (after the commit).</item>
    /// </list>
    /// </summary>
    public static Verification<TrustedChain> Skip(TrustedChain chain, ValidatorChangeView change, SkippingRule rule, out SkipRefusal refusal)
    {
        var latest = chain.Latest;
        refusal = SkipRefusal.Invalid;
        if (change.Sequence <= latest.Sequence + 1) return Fail($"change {change.Sequence} is not beyond the next one after the trusted set (sequence {latest.Sequence}): follow it");
        var now = rule.Now;
        if (!rule.Trusts(latest))
        {
            refusal = SkipRefusal.TrustExpired;
            return Fail($"the trusted set (sequence {latest.Sequence}) was last verified {(latest.VerifiedAtMs <= 0 ? "at an unknown time" : $"at {DateTimeOffset.FromUnixTimeMilliseconds(latest.VerifiedAtMs):u}")}, outside the trusting period of {rule.TrustingPeriod.TotalDays:0.#} days");
        }

        if (change.Proof is not { } proof) return Fail($"change {change.Sequence} carries no proof");
        if (proof.Height < latest.FromHeight)
        {
            return Fail($"change {change.Sequence} is proven at height {proof.Height}, before the trusted set took effect ({latest.FromHeight})");
        }

        // The record names the set that signed its own height; the certificate is checked against it, and the root proves it.
        if (!TryDecodeRecord(proof.Value, out var state) || !TryValidatorSet(state.Current, out var signingSet, out _))
        {
            return Fail($"change {change.Sequence}: the validator-set record does not decode to a set");
        }

        var proven = ProofVerifier.VerifyStateValue(proof, proof.Height, StateKeys.Validators, proof.Height, chain.ChainId, signingSet, Freshness.Default);
        if (!proven.IsValid) return Fail($"change {change.Sequence}: {proven.Error}");
        // The proven bytes are the record decoded above (the proof's own value), now shown to be under the root.
        if (proven.Value!.Value is null)
        {
            return Fail($"change {change.Sequence}: the proven validator-set record is absent or does not decode");
        }

        var certificate = Codec.Decode<CommitCertificate>(Convert.FromBase64String(proof.Certificate));
        var vouched = certificate.Signatures.Select(s => s.Validator).Distinct().Sum(latest.Set.PowerOf);
        if (vouched < latest.Set.OneThirdPlusPower)
        {
            refusal = SkipRefusal.NotEnoughOverlap;
            return Fail($"change {change.Sequence}: its block is signed by {vouched} of the trusted set's power {latest.Set.TotalPower}, not more than a third");
        }

        if (proven.BlockTime > now + rule.MaxClockDrift)
        {
            return Fail($"change {change.Sequence}: its block time {proven.BlockTime:u} is ahead of this client's clock ({now:u})");
        }

        if (state.Sequence != change.Sequence) return Fail($"change {change.Sequence}: the proven record is of change {state.Sequence}");
        if (state.Pending is not { } pending) return Fail($"change {change.Sequence}: the proven record holds no change");
        if (state.PendingFromHeight != change.FromHeight || change.FromHeight <= proof.Height)
        {
            return Fail($"change {change.Sequence}: in force from height {change.FromHeight} as listed, from {state.PendingFromHeight} as proven at height {proof.Height}");
        }

        if (!SameEntries(pending, change.Validators)) return Fail($"change {change.Sequence}: the set listed is not the proven one");
        if (!TryValidatorSet(pending, out var next, out var notASet)) return Fail($"change {change.Sequence}: the proven set is not a validator set ({notASet})");
        refusal = SkipRefusal.None;
        var trusted = new TrustedValidatorSet(change.Sequence, change.FromHeight, next) { VerifiedAtMs = proven.BlockTime.ToUnixTimeMilliseconds(), Skipped = true };
        return Verification<TrustedChain>.Proven(chain.With(trusted), proof.Height, proven.BlockTime);
    }

    /// <summary>
    /// Reaches <paramref name="target"/> by skipping, bisecting as light clients do: a change the trusted set does not vouch
    /// for enough is approached through the change halfway to it (asked of the node by sequence), which is skipped or
    /// followed first. Stops without error when the trusting period has run out (the caller then follows one by one);
    /// throws <see cref="VerificationException"/> on a change that does not verify or a node that cannot list the change
    /// halfway.
    /// </summary>
    public static async Task<TrustedChain> SkipToAsync(DkmsRpcClient client, TrustedChain chain, ValidatorChangeView target, SkippingRule rule, CancellationToken ct = default)
    {
        var pending = new Stack<ValidatorChangeView>();
        pending.Push(target);
        for (var steps = 0; pending.Count > 0; steps++)
        {
            if (steps > MaxSkipSteps) throw new VerificationException(VerificationFailure.Invalid, "validator-set changes could not be reached by skipping within the step bound");
            var next = pending.Peek();
            if (next.Sequence <= chain.Latest.Sequence)
            {
                pending.Pop();
                continue;
            }

            if (next.Sequence == chain.Latest.Sequence + 1)
            {
                var followed = Follow(chain, next);
                if (!followed.IsValid) throw new VerificationException(followed.Failure, $"validator-set change refused: {followed.Error}");
                chain = followed.Value!;
                pending.Pop();
                continue;
            }

            var skipped = Skip(chain, next, rule, out var refusal);
            if (skipped.IsValid)
            {
                chain = skipped.Value!;
                pending.Pop();
                continue;
            }

            switch (refusal)
            {
                case SkipRefusal.TrustExpired:
                    return chain;
                case SkipRefusal.NotEnoughOverlap:
                    var middle = chain.Latest.Sequence + ((next.Sequence - chain.Latest.Sequence) / 2);
                    var page = await client.ValidatorHistoryAsync(middle - 1, limit: 1, ct: ct).ConfigureAwait(false);
                    if (page.Changes is not [var between] || between.Sequence != middle)
                    {
                        throw new VerificationException(VerificationFailure.Invalid, $"validator-set change refused: the node listed change {next.Sequence} but not change {middle} before it");
                    }

                    pending.Push(between);
                    break;
                default:
                    throw new VerificationException(VerificationFailure.Invalid, $"validator-set change refused: {skipped.Error}");
            }
        }

        return chain;
    }

    private static bool TryDecodeRecord(string? base64, out ValidatorSetState state)
    {
        state = null!;
        if (base64 is null) return false;
        try
        {
            return Codec.TryDecode<ValidatorSetState>(Convert.FromBase64String(base64), out state!, out _) && state is not null && state.Current is not null;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static bool TryValidatorSet(ValidatorEntry[] entries, out ValidatorSet set, out string error)
    {
        set = null!;
        error = "";
        try
        {
            set = new ValidatorSet(entries.Select(v => new Validator(v.NodeKey, v.Power)));
            return true;
        }
        catch (ArgumentException e)
        {
            error = e.Message;
            return false;
        }
    }
}
