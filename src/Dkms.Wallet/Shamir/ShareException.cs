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
}

/// <summary>Shares that cannot be combined, with the reason.</summary>
public sealed class ShareException(ShareError error, string message) : Exception(message)
{
    public ShareError Error { get; } = error;
}
