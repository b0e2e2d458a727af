namespace Dkms.Wallet.Encryption;

/// <summary>Ciphertext that cannot be opened: wrong key or recipient, wrong context, or tampered bytes.</summary>
public sealed class DecryptionException(string message) : Exception(message);
