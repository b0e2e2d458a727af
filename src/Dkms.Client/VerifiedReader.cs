using Dkms.Core.Primitives;
using Dkms.Ledger.State;

namespace Dkms.Client;

/// <summary>
/// Reads state from one node and accepts only answers that verify as the answer to the question it asked
/// (<see cref="ProofVerifier"/>): the request it sends is the query it checks against, so no caller can
/// forget to bind one to the other. Remembers the highest height it has verified and refuses to go
/// below it; start it from a height a previous run verified (<see cref="HighestVerifiedHeight"/>) to keep
/// that promise across runs. Not thread-safe: one reader per sequence of questions.
/// </summary>
public sealed class VerifiedReader(DkmsRpcClient client, TrustedChain chain, TimeSpan maxAge, TimeProvider? clock = null, ulong highestVerifiedHeight = 0)
{
    /// <summary>How often a "latest" question is asked again when the node answers below a height already
    /// verified: a node one block behind another catches up in a moment, a node that hides blocks does not.</summary>
    public int BehindRetries { get; init; } = 3;

    public TimeSpan BehindRetryDelay { get; init; } = TimeSpan.FromMilliseconds(300);

    public TrustedChain Chain { get; } = chain;

    public ulong HighestVerifiedHeight { get; private set; } = highestVerifiedHeight;

    /// <summary>The identity's state at <paramref name="height"/> (null: the latest), proven; null value when it does not exist.
    /// Throws <see cref="VerificationException"/> when the answer does not verify.</summary>
    public Task<Verification<IdentityState>> ResolveAsync(IdentityId id, ulong? height = null, CancellationToken ct = default)
    {
        var query = new IdentityQuery(id, height);
        return ReadAsync(async freshness => ProofVerifier.VerifyIdentity(
            await client.ResolveAsync(id, height, proof: true, ct).ConfigureAwait(false), query, Chain, freshness), ct);
    }

    /// <summary>The owner's policy at <paramref name="height"/> (null: the latest), proven; null value when it does not exist.
    /// Throws <see cref="VerificationException"/> when the answer does not verify.</summary>
    public Task<Verification<AgentPolicy>> PolicyAsync(IdentityId owner, string policyId, ulong? height = null, CancellationToken ct = default)
    {
        var query = new PolicyQuery(owner, policyId, height);
        return ReadAsync(async freshness => ProofVerifier.VerifyPolicy(
            await client.PolicyAsync(owner, policyId, height, proof: true, ct).ConfigureAwait(false), query, Chain, freshness), ct);
    }

    private async Task<Verification<T>> ReadAsync<T>(Func<Freshness, Task<Verification<T>>> askAndVerify, CancellationToken ct) where T : class
    {
        for (var attempt = 0; ; attempt++)
        {
            var result = await askAndVerify(new Freshness(maxAge, HighestVerifiedHeight, clock)).ConfigureAwait(false);
            if (result.IsValid)
            {
                HighestVerifiedHeight = Math.Max(HighestVerifiedHeight, result.Height);
                return result;
            }

            if (result.Failure != VerificationFailure.BelowVerifiedHeight || attempt >= BehindRetries) throw new VerificationException(result.Failure, result.Error);
            await Task.Delay(BehindRetryDelay, ct).ConfigureAwait(false);
        }
    }
}
