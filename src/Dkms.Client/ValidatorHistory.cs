using Dkms.Core.Blocks;
using Dkms.Core.Encoding;
using Dkms.Core.Transactions;
using Dkms.Ledger.State;
using Dkms.Rpc;

namespace Dkms.Client;

/// <summary>
/// Follows the validator set from a <see cref="TrustedChain"/> through the changes <c>chain.validatorHistory</c> lists,
/// one after the other (sequential verification; see ValidatorSkipping.cs for the skipping rule). A change is accepted only when
/// <list type="bullet">
/// <item>its sequence is the next one (no change left out, none repeated),</item>
/// <item>the commit certificate of the height it committed at carries more than 2/3 of the power of the newest set this
/// client trusts, and that height is not before that set took effect,</item>
/// <item>the header's state root proves the validator-set record, and that record says the set before the change was the
/// trusted one, the new set is exactly the one listed, from the listed height (after the commit), with this sequence.</item>
/// </list>
/// Anything else refuses the whole answer: the client keeps the chain it had.
/// </summary>
public static partial class ValidatorHistory
{
    /// <summary>The chain with <paramref name="change"/> followed, or why it is refused.</summary>
    public static Verification<TrustedChain> Follow(TrustedChain chain, ValidatorChangeView change)
    {
        var latest = chain.Latest;
        if (change.Sequence != latest.Sequence + 1)
        {
            return Fail($"the change listed has sequence {change.Sequence}, but the next change after the trusted set (sequence {latest.Sequence}) is {latest.Sequence + 1}: a change is missing or out of order");
        }

        if (change.Proof is not { } proof) return Fail($"change {change.Sequence} carries no proof");
        // The trusted set certifies heights from the one it took effect at; a root trusted at a height is in force there
        // and, unchanged, at any earlier height back to its own change, which its sequence binds below.
        if (chain.Sets.Length > 1 && proof.Height < latest.FromHeight)
        {
            return Fail($"change {change.Sequence} is proven at height {proof.Height}, before the trusted set it must be certified by took effect ({latest.FromHeight})");
        }

        var proven = ProofVerifier.VerifyStateValue(proof, proof.Height, StateKeys.Validators, proof.Height, chain.ChainId, latest.Set, Freshness.Default);
        if (!proven.IsValid) return Fail($"change {change.Sequence}: {proven.Error}");
        if (proven.Value!.Value is not { } bytes || !Codec.TryDecode<ValidatorSetState>(bytes, out var state, out _) || state is null)
        {
            return Fail($"change {change.Sequence}: the proven validator-set record is absent or does not decode");
        }

        if (state.Sequence != change.Sequence) return Fail($"change {change.Sequence}: the proven record is of change {state.Sequence}");
        if (state.Pending is not { } pending) return Fail($"change {change.Sequence}: the proven record holds no change");
        if (!SameSet(state.Current, latest.Set)) return Fail($"change {change.Sequence}: the proven record was built on another set than the trusted one");
        if (state.PendingFromHeight != change.FromHeight || change.FromHeight <= proof.Height)
        {
            return Fail($"change {change.Sequence}: in force from height {change.FromHeight} as listed, from {state.PendingFromHeight} as proven at height {proof.Height}");
        }

        if (!SameEntries(pending, change.Validators)) return Fail($"change {change.Sequence}: the set listed is not the proven one");
        if (!TryValidatorSet(pending, out var next, out var notASet)) return Fail($"change {change.Sequence}: the proven set is not a validator set ({notASet})");

        var trusted = new TrustedValidatorSet(change.Sequence, change.FromHeight, next) { VerifiedAtMs = proven.BlockTime.ToUnixTimeMilliseconds() };
        return Verification<TrustedChain>.Proven(chain.With(trusted), proof.Height, proven.BlockTime);
    }

    /// <summary>
    /// Asks <paramref name="client"/> for every change after <paramref name="chain"/>'s newest set, page by page, and follows
    /// them. With a <paramref name="skipping"/> rule it first asks for the newest change only and skips to it
    /// (<see cref="SkipToAsync"/>), following one by one only what skipping cannot reach. Returns the chain followed and the
    /// node's height when it answered (the height up to which the client now knows the sets, as far as this node tells);
    /// throws <see cref="VerificationException"/> on the first change that does not verify.
    /// </summary>
    public static async Task<(TrustedChain Chain, ulong NodeHeight)> FollowAsync(DkmsRpcClient client, TrustedChain chain, SkippingRule? skipping = null, CancellationToken ct = default)
    {
        // After the trusting period there is nothing to skip with: do not ask for the newest change.
        if (skipping is not null && skipping.Trusts(chain.Latest))
        {
            var newest = await client.ValidatorHistoryAsync(chain.Latest.Sequence, limit: 1, newest: true, ct: ct).ConfigureAwait(false);
            // A node older than the newest parameter answers the first page instead: then there is nothing to skip to.
            if (newest.Changes is [var target] && target.Sequence > chain.Latest.Sequence + 1)
            {
                chain = await SkipToAsync(client, chain, target, skipping, ct).ConfigureAwait(false);
            }
        }

        while (true)
        {
            var page = await client.ValidatorHistoryAsync(chain.Latest.Sequence, ct: ct).ConfigureAwait(false);
            if (page.More && page.Changes.Length == 0) throw new VerificationException(VerificationFailure.Invalid, "the node says more validator-set changes exist but lists none");
            foreach (var change in page.Changes)
            {
                var followed = Follow(chain, change);
                if (!followed.IsValid) throw new VerificationException(followed.Failure, $"validator-set change refused: {followed.Error}");
                chain = followed.Value!;
            }

            if (!page.More) return (chain, page.Height);
        }
    }

    private static Verification<TrustedChain> Fail(string why) => Verification<TrustedChain>.Fail(why);

    /// <summary>Same keys with the same power; order and addresses do not matter to a certificate.</summary>
    private static bool SameSet(ValidatorEntry[] entries, ValidatorSet set) =>
        entries.Length == set.Count && entries.All(e => set.PowerOf(e.NodeKey) == e.Power);

    private static bool SameEntries(ValidatorEntry[] proven, ValidatorView[]? listed) =>
        listed is not null && proven.Length == listed.Length
        && proven.Zip(listed).All(p => p.First.NodeKey.ToHex() == p.Second.NodeKey && p.First.Address == p.Second.Address && p.First.Power == p.Second.Power);
}
