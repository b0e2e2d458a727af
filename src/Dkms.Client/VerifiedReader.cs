using Dkms.Core.Primitives;
using Dkms.Ledger.State;

namespace Dkms.Client;

/// <summary>
/// Reads state from one node and accepts only answers that verify as the answer to the question it asked
/// (<see cref="ProofVerifier"/>): the request it sends is the query it checks against, so no caller can
/// forget to bind one to the other. Remembers the highest height it has verified and refuses to go
/// below it; start it from a height a previous run verified (<see cref="HighestVerifiedHeight"/>) to keep
/// that promise across runs. Before it verifies an answer it follows the validator-set changes the node lists
/// (<see cref="FollowAsync"/>), so an answer is checked against the set in force at its height. Not thread-safe: one reader per sequence of questions.
/// </summary>
public sealed class VerifiedReader(DkmsRpcClient client, TrustedChain chain, TimeSpan maxAge, TimeProvider? clock = null, ulong highestVerifiedHeight = 0)
{
    /// <summary>How often a "latest" question is asked again when the node answers below a height already
    /// verified: a node one block behind another catches up in a moment, a node that hides blocks does not.</summary>
    public int BehindRetries { get; init; } = 3;

    public TimeSpan BehindRetryDelay { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>The light-client skipping rule, or null (the default) to follow every validator-set change one by one.</summary>
    public SkippingRule? Skipping { get; init; }

    /// <summary>The trusted chain, grown by every validator-set change this reader has verified. Start a reader from a chain a
    /// previous run followed to keep what it verified (the CLI caches it).</summary>
    public TrustedChain Chain { get; private set; } = chain;

    /// <summary>The node's height when this reader last asked it for validator-set changes: the sets are known up to there.</summary>
    public ulong FollowedHeight { get; private set; }

    public ulong HighestVerifiedHeight { get; private set; } = highestVerifiedHeight;

    /// <summary>The identity's state at <paramref name="height"/> (null: the latest), proven; null value when it does not exist.
    /// Throws <see cref="VerificationException"/> when the answer does not verify.</summary>
    public Task<Verification<IdentityState>> ResolveAsync(IdentityId id, ulong? height = null, CancellationToken ct = default)
    {
        var query = new IdentityQuery(id, height);
        return ReadAsync(
            () => client.ResolveAsync(id, height, proof: true, ct), a => a.Proof?.Height ?? a.Height,
            (answer, freshness) => ProofVerifier.VerifyIdentity(answer, query, Chain, freshness), ct);
    }

    /// <summary>The owner's policy at <paramref name="height"/> (null: the latest), proven; null value when it does not exist.
    /// Throws <see cref="VerificationException"/> when the answer does not verify.</summary>
    public Task<Verification<AgentPolicy>> PolicyAsync(IdentityId owner, string policyId, ulong? height = null, CancellationToken ct = default)
    {
        var query = new PolicyQuery(owner, policyId, height);
        return ReadAsync(
            () => client.PolicyAsync(owner, policyId, height, proof: true, ct), a => a.Proof?.Height ?? a.Height,
            (answer, freshness) => ProofVerifier.VerifyPolicy(answer, query, Chain, freshness), ct);
    }

    /// <summary>
    /// Follows the validator-set changes the node lists after <see cref="Chain"/>'s newest set (<see cref="ValidatorHistory"/>).
    /// A node that does not know the method (older than it) is not asked again: answers are then checked against the sets
    /// already trusted, which refuses any answer certified by a set this client has not verified.
    /// </summary>
    public async Task FollowAsync(CancellationToken ct = default)
    {
        if (_historyUnsupported) return;
        try
        {
            var (followed, nodeHeight) = await ValidatorHistory.FollowAsync(client, Chain, Skipping, ct).ConfigureAwait(false);
            Chain = followed;
            FollowedHeight = Math.Max(FollowedHeight, nodeHeight);
        }
        catch (RpcException e) when (e.Code == Rpc.RpcErrorCodes.MethodNotFound)
        {
            _historyUnsupported = true;
        }
    }

    private bool _historyUnsupported;

    private async Task<Verification<T>> ReadAsync<TAnswer, T>(Func<Task<TAnswer>> ask, Func<TAnswer, ulong> heightOf, Func<TAnswer, Freshness, Verification<T>> verify, CancellationToken ct)
        where T : class
    {
        var followedForThisRead = false;
        for (var attempt = 0; ; attempt++)
        {
            if (FollowedHeight == 0) await FollowAsync(ct).ConfigureAwait(false);
            var answer = await ask().ConfigureAwait(false);
            // The answer may come from a height past the one the sets were followed to: a change may have taken effect since.
            if (heightOf(answer) > FollowedHeight) await FollowAsync(ct).ConfigureAwait(false);
            var result = verify(answer, new Freshness(maxAge, HighestVerifiedHeight, clock));
            if (result.Failure == VerificationFailure.Invalid && !followedForThisRead)
            {
                // Perhaps certified by a set this reader has not followed to (a node that listed no changes before, or an
                // answer from another node): follow again, once, and check the same answer against what it then knows.
                followedForThisRead = true;
                await FollowAsync(ct).ConfigureAwait(false);
                result = verify(answer, new Freshness(maxAge, HighestVerifiedHeight, clock));
            }

            if (result.IsValid)
            {
                HighestVerifiedHeight = Math.Max(HighestVerifiedHeight, result.Height);
                Chain = Chain.Seen(result.Height, result.BlockTime); // the newest set still certifies: its trusting period runs from here
                return result;
            }

            if (result.Failure != VerificationFailure.BelowVerifiedHeight || attempt >= BehindRetries) throw new VerificationException(result.Failure, result.Error);
            await Task.Delay(BehindRetryDelay, ct).ConfigureAwait(false);
        }
    }
}
