namespace Dkms.Network;

/// <summary>
/// Every LiteNetLib message starts with one of these type bytes. Only Hello and Auth are accepted before a
/// peer is authenticated; only Batch after.
/// </summary>
internal static class Wire
{
    public const byte Hello = 1;
    public const byte Auth = 2;
    public const byte Batch = 3;

    /// <summary>Sent as LiteNetLib connection-request data, so stray UDP clients are refused before any state is kept.</summary>
    public static ReadOnlySpan<byte> ConnectTag => "DKMS/p2p/v1"u8;
}
