namespace Dkms.Client;

/// <summary>Why an answer was refused.</summary>
public enum VerificationFailure
{
    None,

    /// <summary>The answer does not authenticate: no proof, a bad certificate, a proof that does not lead to the certified root, a readable view that differs from the proven record.</summary>
    Invalid,

    /// <summary>A genuine answer to another question: another identity, owner, policy or height than the one asked for.</summary>
    NotWhatWasAsked,

    /// <summary>The proven block is older than the caller's freshness bound.</summary>
    TooOld,

    /// <summary>The proven height is below one this client has already verified (the node is behind, or hides newer blocks).</summary>
    BelowVerifiedHeight,
}

/// <summary>The outcome of checking a node's answer locally: on success the proven value (null when the
/// proof shows it absent), the height and the certified block time it was proven at.</summary>
public sealed record Verification<T>(bool IsValid, string Error, T? Value, ulong Height, DateTimeOffset BlockTime = default, VerificationFailure Failure = VerificationFailure.None)
    where T : class
{
    public static Verification<T> Fail(string error, VerificationFailure failure = VerificationFailure.Invalid) => new(false, error, null, 0, default, failure);

    public static Verification<T> Proven(T? value, ulong height, DateTimeOffset blockTime) => new(true, "", value, height, blockTime);
}

/// <summary>A node's answer that did not verify; <see cref="Failure"/> says why.</summary>
public sealed class VerificationException(VerificationFailure failure, string message) : Exception(message)
{
    public VerificationFailure Failure { get; } = failure;
}
