using System.Net;
using System.Net.Sockets;
using LiteNetLib;

namespace Dkms.Network.Tests;

/// <summary>LiteNetLib's own messages (one "[NM] DataReceived: bad!" per undecodable datagram) go through the node's
/// logging, counted, instead of LiteNetLib's default of a line on stdout each.</summary>
public sealed class LiteNetLibLogTests
{
    [Fact]
    public void Garbage_datagrams_are_counted_and_LiteNetLib_no_longer_writes_to_the_console()
    {
        using var net = new TestNet(1);
        var a = net.Start(0);
        Assert.IsType<LiteNetLibLog>(NetDebug.Logger);

        var before = LiteNetLibLog.BadPackets;
        using var socket = new UdpClient(AddressFamily.InterNetwork);
        var target = new IPEndPoint(IPAddress.Loopback, a.Network.ListenPort);
        // A first byte of 0xFF names no LiteNetLib packet type: every one of these is "bad".
        for (var i = 0; i < 50; i++) socket.Send([0xFF, (byte)i, 1, 2, 3], target);

        Eventually.True(() => LiteNetLibLog.BadPackets >= before + 50, "the garbage datagrams were counted");
    }

    [Fact]
    public void LiteNetLib_messages_are_classified_by_kind()
    {
        Assert.Equal(LiteNetLibLog.Kind.BadPacket, LiteNetLibLog.Classify("[NM] DataReceived: bad!"));
        Assert.Equal(LiteNetLibLog.Kind.BadPacket, LiteNetLibLog.Classify("[NM] DataReceived size: bad!"));
        Assert.Equal(LiteNetLibLog.Kind.Socket, LiteNetLibLog.Classify("[NM] SocketReceiveThread error: "));
        Assert.Equal(LiteNetLibLog.Kind.Other, LiteNetLibLog.Classify("[NM] LogicThread error: "));
    }
}
