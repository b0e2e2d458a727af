using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Dkms.WanRelay;

const string Usage = """
    dkms-wan-relay — a wide-area network between the testnet's nodes, on one machine (docs/performance-e2e.md, "WAN mode")

      dkms-wan-relay --profile FILE --nodes HOST:PORT,... --relays HOST:PORT,...
      dkms-wan-relay --check FILE          check a profile and print its links

    --nodes    each node's P2P address (where it listens), node 0 first
    --relays   the address the relay listens on for each node (put these in the genesis: peers dial them)
    The profile (JSON) places each node in a region and gives round-trip times between regions, jitter, loss and
    partitions; see bench/Dkms.WanRelay/profiles/. Stops on SIGTERM or Ctrl-C and prints what it forwarded.
    """;

try
{
    string? profilePath = null, check = null;
    IPEndPoint[] nodes = [], relays = [];
    for (var i = 0; i < args.Length; i++)
    {
        string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
        switch (args[i])
        {
            case "--profile": profilePath = Next(); break;
            case "--check": check = Next(); break;
            case "--nodes": nodes = Endpoints(Next()); break;
            case "--relays": relays = Endpoints(Next()); break;
            case "-h" or "--help":
                Console.WriteLine(Usage);
                return 0;
            default: throw new ArgumentException($"unknown option {args[i]}");
        }
    }

    if (check is not null)
    {
        var p = WanProfile.Load(check);
        for (var a = 0; a < p.NodeRegions.Length; a++)
        {
            for (var b = 0; b < p.NodeRegions.Length; b++)
            {
                if (a == b) continue;
                var l = p.Link(a, b);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"node{a} ({p.NodeRegions[a]}) → node{b} ({p.NodeRegions[b]}): {l.DelayMs} ± {l.JitterMs} ms, loss {l.Loss:P1}"));
            }
        }

        foreach (var part in p.Partitions)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"partition at {part.AtSeconds} s for {part.ForSeconds} s: {string.Join(" | ", part.Groups.Select(g => string.Join(",", g)))}"));
        }

        return 0;
    }

    if (profilePath is null) throw new ArgumentException("--profile is required");
    if (nodes.Length == 0 || nodes.Length != relays.Length) throw new ArgumentException("--nodes and --relays need one address per node, as many of each");
    var profile = WanProfile.Load(profilePath);
    using var relay = new UdpWanRelay(profile, [.. nodes.Zip(relays, (n, r) => new RelayedNode(n, r))]);
    using var stopped = new ManualResetEventSlim();
    using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stopped.Set(); });
    using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stopped.Set(); });
    relay.Start();
    Console.WriteLine($"relaying {nodes.Length} nodes: {string.Join(", ", nodes.Select((n, i) => $"{relay.RelayOf(i)} → {n}"))}");
    stopped.Wait();
    var (forwarded, lost, cut, unknown) = relay.Counts;
    Console.WriteLine($"stopped: {forwarded} packets forwarded, {lost} lost, {cut} cut by partitions, {unknown} from senders that are no node");
    return 0;
}
catch (Exception e) when (e is ArgumentException or ProfileException or FormatException or IOException or System.Net.Sockets.SocketException)
{
    Console.Error.WriteLine($"error: {e.Message}\n\n{Usage}");
    return 1;
}

static IPEndPoint[] Endpoints(string list) =>
    [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(a =>
        IPEndPoint.TryParse(a, out var ep) && ep.Port > 0 ? ep : throw new ArgumentException($"'{a}' is not host:port (an IP address and a port)"))];
