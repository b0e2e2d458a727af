namespace Dkms.Network.Tests;

/// <summary>
/// Someone on the path of a live session (here a hook on the sender's wire, after sealing) forges, truncates,
/// replays and reorders its packets. The receiver hands over only what the sender sent, once and in order; a
/// packet that does not open drops and closes the session (a reliable stream with a hole in it is no longer the
/// sender's), and the two validators make a fresh one.
/// </summary>
public sealed class TamperTests
{
    private enum Tamper
    {
        Pass,
        Forge,
        Truncate,
        Replay,
        Reorder,
    }

    [Fact]
    public void Forged_truncated_replayed_and_reordered_packets_are_dropped_and_the_session_is_made_anew()
    {
        using var net = new TestNet(2).StartAll();
        net.WaitFullyConnected();
        var (a, b) = (net.Nodes[0], net.Nodes[1]);
        var random = new Random(16);
        var tamperer = new Tamperer(random);
        a.Network.OutgoingBatchFilter = tamperer.Filter;

        var expected = new List<int>();
        var plan = new List<Tamper>();
        const int count = 40;
        for (var i = 0; i < count; i++)
        {
            // A held packet goes out after the next one, which must pass through the hook for the swap to happen.
            var afterHold = plan.Count > 0 && plan[^1] == Tamper.Reorder;
            var action = afterHold ? Tamper.Pass : (Tamper)random.Next(5);
            plan.Add(action);
            var sessions = (Sessions(a), Sessions(b));
            tamperer.Next = action;
            a.Network.Send(b.PublicKey, PeerChannel.Consensus, BitConverter.GetBytes(i));
            Eventually.True(() => tamperer.Seen == i + 1, $"packet {i} went through the hook");

            if (action == Tamper.Reorder) continue; // held: nothing on the wire yet
            if (action is Tamper.Pass or Tamper.Replay && !afterHold)
            {
                expected.Add(i);
                var n = i;
                Eventually.True(() => Delivered(a, b).Contains(n), $"message {i} ({action}) arrived");
            }

            if (action != Tamper.Pass || afterHold)
            {
                Eventually.True(() => Sessions(a) > sessions.Item1 && Sessions(b) > sessions.Item2
                    && a.Network.ConnectedPeers.Contains(b.PublicKey) && b.Network.ConnectedPeers.Contains(a.PublicKey),
                    $"a fresh session after packet {i} ({action})");
            }
        }

        Thread.Sleep(200); // anything still in flight
        Assert.Equal(expected, Delivered(a, b));
        Assert.Equal(0, b.Network.Stats.MalformedFrom(a.PublicKey));
        Assert.Equal(plan.Count(t => t is Tamper.Forge or Tamper.Truncate), b.Network.Stats.ForgedDropped);
        Assert.Equal(plan.Count(t => t == Tamper.Replay), b.Network.Stats.ReplayedDropped);
        Assert.Equal(plan.Count(t => t == Tamper.Reorder), b.Network.Stats.ReorderedDropped);
        Assert.Contains(Tamper.Forge, plan);
        Assert.Contains(Tamper.Truncate, plan);
        Assert.Contains(Tamper.Replay, plan);
        Assert.Contains(Tamper.Reorder, plan);
    }

    private static List<int> Delivered(TestNode from, TestNode to) =>
        [.. to.Inbox.From(from.PublicKey, PeerChannel.Consensus).Select(r => BitConverter.ToInt32(r.Message))];

    /// <summary>Authenticated sessions this node has made, from its log.</summary>
    private static int Sessions(TestNode node) => node.Log.Lines.Count(l => l.Message.Contains(" connected at ", StringComparison.Ordinal));

    /// <summary>Applies the planned tamper to each outgoing batch packet; called on the sender's network thread.</summary>
    private sealed class Tamperer(Random random)
    {
        private byte[]? _held;
        private int _seen;

        public volatile Tamper Next;

        public int Seen => Volatile.Read(ref _seen);

        public IReadOnlyList<byte[]> Filter(byte[] packet)
        {
            List<byte[]> send;
            lock (random)
            {
                switch (Next)
                {
                    case Tamper.Forge:
                        // One bit anywhere after the type byte: the frames or (sealed) the counter or tag.
                        var forged = (byte[])packet.Clone();
                        var at = 1 + random.Next(forged.Length - 1);
                        forged[at] ^= (byte)(1 << random.Next(8));
                        send = [forged];
                        break;
                    case Tamper.Truncate:
                        send = [packet[..^Math.Min(3, packet.Length - 1)]];
                        break;
                    case Tamper.Replay:
                        send = [packet, packet];
                        break;
                    case Tamper.Reorder:
                        _held = packet;
                        send = [];
                        break;
                    default:
                        send = _held is null ? [packet] : [packet, _held];
                        _held = null;
                        break;
                }
            }

            Interlocked.Increment(ref _seen);
            return send;
        }
    }
}
