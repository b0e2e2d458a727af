using MessagePack;

namespace Dkms.Wallet.Encryption;

/// <summary>
/// An envelope-encrypted object: the data under a fresh data key, the data key wrapped under
/// version <see cref="KekVersion"/> of the KEK <see cref="KekName"/>. Encoded with <c>Codec</c>.
/// </summary>
[MessagePackObject]
public sealed record Envelope(
    [property: Key(0)] int Format,
    [property: Key(1)] string KekName,
    [property: Key(2)] int KekVersion,
    [property: Key(3)] byte[] WrapNonce,
    [property: Key(4)] byte[] WrappedDataKey,
    [property: Key(5)] byte[] Nonce,
    [property: Key(6)] byte[] Ciphertext)
{
    public override string ToString() => $"Envelope({KekName} v{KekVersion}, {Ciphertext.Length} bytes)";
}
