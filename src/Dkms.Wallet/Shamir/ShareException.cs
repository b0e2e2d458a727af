namespace Dkms.Wallet.Shamir;

public enum ShareError
{
    InsufficientShares,
    DuplicateShare,
    Inconsistent,
    DigestMismatch,
    InvalidMnemonic,
    InvalidChecksum,
    InvalidParameters,
    /// <summary>A sealed share labelled for another owner or share set.</summary>
    ForeignShare,
    /// <summary>A share whose threshold, index, length or labels no genuine split can produce.</summary>
    Malformed,
}

/// <summary>Shares that cannot be combined, with the reason.</summary>
public sealed class ShareException(ShareError error, string message) : Exception(message)
{
    public ShareError Error { get; } = error;
}
