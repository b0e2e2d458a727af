namespace Dkms.Wallet.Storage;

public enum WalletError
{
    /// <summary>The passphrase or raw key does not unwrap the content key (or the header was altered).</summary>
    WrongKeyOrTampered,
    /// <summary>The content does not authenticate: the file was altered after it was written.</summary>
    Tampered,
    /// <summary>Not a wallet file, or a truncated one.</summary>
    Malformed,
    UnsupportedVersion,
    /// <summary>The file is unlocked with the other kind of key (passphrase vs raw key).</summary>
    WrongKeyKind,
}

/// <summary>A wallet file that cannot be opened, with the reason. The file on disk is never changed when this is thrown.</summary>
public sealed class WalletException(WalletError error, string message) : Exception(message)
{
    public WalletError Error { get; } = error;
}
