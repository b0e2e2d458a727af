namespace Dkms.Network;

/// <summary>
/// Every LiteNetLib message starts with one of these type bytes. Only Hello and Auth are accepted before a
/// peer is authenticated; only Sealed after.
/// </summary>
internal static class Wire
{
    public const byte Hello = 1;
    public const byte Auth = 2;

    /// <summary>The plaintext batches of protocol v1; never accepted any more (a v1 peer is refused at connect).</summary>
    public const byte Batch = 3;

    /// <summary>A batch of frames sealed by the session (<see cref="SecureSession"/>).</summary>
    public const byte Sealed = 4;

    /// <summary>Sent as LiteNetLib connection-request data, so stray UDP clients are refused before any state is kept.</summary>
    public static ReadOnlySpan<byte> ConnectTag => "DKMS/p2p/v2"u8;
}
