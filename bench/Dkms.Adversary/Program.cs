using System.Globalization;
using Dkms.Adversary;
using Dkms.Adversary.OffPath;
using Dkms.Core.Genesis;

const string Usage = """
    dkms-adversary — a Byzantine validator for attacking a running testnet (docs/adversary.md)

      dkms-adversary --genesis FILE --key FILE [options]
      dkms-adversary --genesis FILE --mode relay|connect-flood [options]     (no validator key)

      --genesis FILE          the chain's genesis (genesis/genesis.json)
      --key FILE              the node key of the validator whose seat the adversary takes (testnet/node3/node_key.json);
                              stop that validator first, or the two fight over its sessions. Not for relay, connect-flood
      --peers A,B,...         P2P addresses of the validators to attack (default: every other validator of the genesis)
      --listen HOST:PORT      address to bind (default 127.0.0.1:0; the seat's genesis address lets the others dial in);
                              relay: a free seat's genesis address to hold, so the validators dial the relay there
      --mode MODE             what to send (default fuzz):
                                fuzz        mutated, forged, relayed and replayed messages of every kind
                                flood       validly signed far-future votes and proposals, duplicates, block requests
                                replay      the validators' own messages back: verbatim, duplicated, reordered
                                malformed   (issue 16 #1) nested fields nil or missing: proposal without block,
                                            block response without header, certificate or transactions
                                far-future  (#2) unsigned and big far-future proposals and votes, duplicated votes,
                                            equivocations: work and memory before authentication
                                poison      (#3) its own valid block, one validator getting other transactions under
                                            the same signed header; the altered block as an unrequested catch-up answer
                                big-block   (#7) its own valid block with one transaction more than the genesis allows
                              without a key:
                                relay       (#4) a host off the path: dials two validators (or holds --listen and dials
                                            one), forwards their handshakes to each other, injects frames
                                connect-flood (#5) connection requests that never finish and junk handshakes from
                                            127.0.0.2 on, --rate requests per second
      --messages N            messages to send, one per validator reached (default 100000)
      --seed S                seeds every choice (default 1)
      --rate N                messages per second at most, 0 for no limit (default 2000)
      --duration S            stop after S seconds even if fewer messages were sent (relay, connect-flood: default 30)
      --sources N             connect-flood: source addresses 127.0.0.2 to 127.0.0.(N+1) (default 32)
    poison and big-block propose only in the seat's proposer turns (one height in four on a 4-validator chain) and
    send little else: give them a --duration. The adversary follows the chain (block requests) to build valid blocks.
    Exit code: 0 when the campaign ran to its end (messages sent or duration reached), 2 when no validator kept a
    session (relay, connect-flood: no validator answered), 3 when relay or connect-flood got an authenticated
    session (the defence failed), 1 on bad usage.
    """;

string? genesisPath = null, keyPath = null, listen = "127.0.0.1:0";
string[] peers = [];
var options = new CampaignOptions();
var sources = 32;
try
{
    for (var i = 0; i < args.Length; i++)
    {
        string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
        switch (args[i])
        {
            case "--genesis": genesisPath = Next(); break;
            case "--key": keyPath = Next(); break;
            case "--peers": peers = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
            case "--listen": listen = Next(); break;
            case "--mode": options = options with { Mode = ParseMode(Next()) }; break;
            case "--messages": options = options with { Messages = long.Parse(Next(), CultureInfo.InvariantCulture) }; break;
            case "--seed": options = options with { Seed = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
            case "--rate": options = options with { Rate = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
            case "--duration": options = options with { Duration = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)) }; break;
            case "--sources": sources = int.Parse(Next(), CultureInfo.InvariantCulture); break;
            case "-h" or "--help": Console.WriteLine(Usage); return 0;
            default: throw new ArgumentException($"unknown option {args[i]}");
        }
    }

    if (genesisPath is null) throw new ArgumentException("--genesis is required");
    if (keyPath is null && !IsOffPath(options.Mode)) throw new ArgumentException($"--key is required for mode {options.Mode}");
    if (sources is < 1 or > 253) throw new ArgumentException("--sources is 1 to 253 (127.0.0.2 to 127.0.0.254)");
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(Usage);
    return 1;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

GenesisDocument genesis;
Dkms.Core.Crypto.Ed25519Signer? key;
OffPathOptions? offPath = null;
try
{
    genesis = GenesisDocument.Load(genesisPath);
    if (IsOffPath(options.Mode))
    {
        var held = options.Mode == AttackMode.Relay && !listen.EndsWith(":0", StringComparison.Ordinal) ? listen : null;
        offPath = new OffPathOptions
        {
            Targets = OffPathOptions.TargetsOf(genesis, peers, held),
            KeysAt = OffPathOptions.KeysOf(genesis),
            Held = held is null ? null : OffPathOptions.Resolve(held),
            Seed = options.Seed,
            Rate = options.Rate > 0 ? options.Rate : 2_000,
            Duration = options.Duration ?? TimeSpan.FromSeconds(30),
            Sources = sources,
        };
    }

    key = keyPath is null || offPath is not null ? null : KeyFile.Load(keyPath);
}
catch (Exception e) when (e is GenesisException or ArgumentException or FormatException or IOException or System.Text.Json.JsonException
    or System.Net.Sockets.SocketException)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

if (offPath is not null)
{
    try
    {
        return await RunOffPathAsync(options.Mode, offPath, stop.Token).ConfigureAwait(false);
    }
    catch (Exception e) when (e is InvalidOperationException or System.Net.Sockets.SocketException)
    {
        Console.Error.WriteLine(e.Message); // e.g. the held address is taken: its validator still runs
        return 1;
    }
}

if (key is null) return 1; // checked with the options

using var peer = AdversaryPeer.ForGenesis(genesis, key, listen, peers);
peer.Start();
Console.WriteLine($"adversary as {key.PublicKey} on port {peer.ListenPort}, attacking {peer.Peers.Count} validators: mode {options.Mode}, {options.Messages:N0} messages, seed {options.Seed}, rate {(options.Rate > 0 ? options.Rate.ToString("N0", CultureInfo.InvariantCulture) + "/s" : "unlimited")}");
if (!await peer.WaitConnectedAsync(1, TimeSpan.FromSeconds(30), stop.Token).ConfigureAwait(false))
{
    Console.Error.WriteLine("no validator accepted the handshake within 30 s (is the key a validator of this genesis? is the testnet up?)");
    return 2;
}

var campaign = new Campaign(peer, Forge.ForGenesis(genesis, key), options, new LedgerReplica(genesis));
var run = campaign.RunAsync(stop.Token);
while (!run.IsCompleted)
{
    await Task.WhenAny(run, Task.Delay(5_000)).ConfigureAwait(false);
    if (!run.IsCompleted)
    {
        Console.WriteLine($"  {campaign.Report.Sent:N0} sent, {peer.Received:N0} received, {peer.Connected.Count}/{peer.Peers.Count} validators connected");
    }
}

var report = await run.ConfigureAwait(false);
Console.WriteLine(report.Summary());
Console.WriteLine($"transport: {peer.Stats.MessagesSent:N0} messages handed to LiteNetLib, {peer.Stats.QueueFullDropped:N0} dropped at a full queue, {peer.Stats.NotConnectedDropped:N0} for a lost session");
return report.StoppedEarly is null ? 0 : 2;

static AttackMode ParseMode(string text) =>
    Enum.TryParse<AttackMode>(text.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var mode) && Enum.IsDefined(mode)
        ? mode
        : throw new ArgumentException($"unknown mode '{text}' (fuzz, flood, replay, malformed, far-future, poison, big-block, relay, connect-flood)");

static bool IsOffPath(AttackMode mode) => mode is AttackMode.Relay or AttackMode.ConnectFlood;

// Modes without a validator key: no seat, no campaign; the summary line starts with the mode and its sessions.
static async Task<int> RunOffPathAsync(AttackMode mode, OffPathOptions o, CancellationToken ct)
{
    var targets = string.Join(", ", o.Targets);
    if (mode == AttackMode.Relay)
    {
        Console.WriteLine($"relay between {targets}{(o.Held is null ? "" : $", holding {o.Held}")}, seed {o.Seed}, {o.Duration.TotalSeconds:F0} s");
        var relay = await RelayAttack.RunAsync(o, r => Console.WriteLine($"  {r.Rounds} rounds, {r.Forwarded:N0} forwarded, {r.Injected:N0} injected, sessions {r.Sessions}"), ct)
            .ConfigureAwait(false);
        Console.WriteLine(relay.Summary());
        return relay.Sessions > 0 ? 3 : relay.Forwarded + relay.Injected == 0 ? 2 : 0;
    }

    Console.WriteLine($"connect-flood on {targets} from {o.Sources} addresses, {o.Rate:N0} requests/s, seed {o.Seed}, {o.Duration.TotalSeconds:F0} s");
    var flood = await ConnectFloodAttack.RunAsync(o, r => Console.WriteLine($"  {r.Sent:N0} sent, {r.Accepted:N0} accepted, {r.Refused:N0} refused, junk {r.JunkConnected:N0} connected"), ct)
        .ConfigureAwait(false);
    Console.WriteLine(flood.Summary());
    return flood.Sessions > 0 ? 3 : flood.Answered ? 0 : 2;
}
