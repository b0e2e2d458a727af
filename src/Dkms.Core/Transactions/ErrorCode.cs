namespace Dkms.Core.Transactions;

/// <summary>
/// Stable, machine-readable outcome codes. The names are the wire form (RPC and CLI print them);
/// never rename or renumber one.
/// </summary>
public enum ErrorCode
{
    Ok = 0,
    /// <summary>Bytes that do not decode, break a size or count limit, or are not in canonical form.</summary>
    Malformed = 1,
    WrongChain = 2,
    Duplicate = 3,
    /// <summary>A signature does not verify against the key it names.</summary>
    BadSignature = 4,
    BadSequence = 5,
    UnknownIdentity = 6,
    AlreadyExists = 7,
    /// <summary>Not enough of the required keys signed.</summary>
    ThresholdNotMet = 8,
    /// <summary>A key revealed in a rotation does not match a committed next-key digest.</summary>
    NextKeyMismatch = 9,
    Deactivated = 10,
    NotAuthorized = 11,
    /// <summary>Thresholds, key lists, ids or policies that are structurally valid but make no sense.</summary>
    InvalidParameters = 12,
    /// <summary>The identity committed to no next keys, so it cannot rotate.</summary>
    CannotRotate = 13,
    /// <summary>The operation is not allowed while a recovery is in progress.</summary>
    Recovering = 14,
    NotRecovering = 15,
    NoRecoveryPolicy = 16,
    RecoveryDelayNotElapsed = 17,
    UnknownKey = 18,
    KeyAlreadyExists = 19,
    UnknownPolicy = 20,
    LimitExceeded = 21,
}
