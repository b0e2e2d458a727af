namespace Dkms.Wallet;

/// <summary>A wallet operation failed for a reason the user can act on (wrong passphrase, damaged file, …). Never carries secret material.</summary>
public sealed class WalletException(string message, Exception? inner = null) : Exception(message, inner);
