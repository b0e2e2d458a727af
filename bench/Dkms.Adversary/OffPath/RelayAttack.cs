using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dkms.Core.Primitives;

namespace Dkms.Adversary.OffPath;

/// <summary>
/// Mode relay (issue 16 #4): round after round, a fresh <see cref="HandshakeRelay"/> either dials two validators
/// or holds a free seat's address (which the validators dial) and dials another validator, forwards whatever each
/// side says, opens in the other validator's name when both wait, and injects plaintext batches and forged sealed packets
/// on both connections. It counts what it got: sessions (a validator that sent it a sealed packet) must stay 0.
/// </summary>
public static class RelayAttack
{
    /// <summary>How long a round injects after the connections are made.</summary>
    public static readonly TimeSpan InjectFor = TimeSpan.FromSeconds(2);

    /// <summary>How long a held address waits for a validator's dial (their reconnect backoff is at most 5 s).</summary>
    public static readonly TimeSpan WaitForDial = TimeSpan.FromSeconds(7);

    private static readonly TimeSpan InjectEvery = TimeSpan.FromMilliseconds(50);

    public static async Task<RelayReport> RunAsync(OffPathOptions options, Action<RelayReport>? progress = null, CancellationToken ct = default)
    {
        if (options.Targets.Count < (options.Held is null ? 2 : 1))
        {
            throw new ArgumentException("a relay needs two validators to dial, or one and a held address");
        }

        var random = new Random(options.Seed);
        var report = new RelayReport();
        var clock = Stopwatch.StartNew();
        ulong counter = 0;
        while (clock.Elapsed < options.Duration && !ct.IsCancellationRequested)
        {
            var held = options.Held is not null && (options.Targets.Count < 2 || report.Rounds % 2 == 1);
            var started = clock.Elapsed;
            HandshakeRelay relay;
            PublicKey? rightKey = null;
            if (held)
            {
                // Wait for a validator to dial the seat, then dial one of the others: each believes the other is at the far end.
                relay = HandshakeRelay.Holding(options.Held!);
                while (relay.LeftFrom is null && clock.Elapsed - started < WaitForDial && !ct.IsCancellationRequested)
                {
                    await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
                }

                var candidates = options.Targets.Where(t => !t.Equals(relay.LeftFrom)).ToList();
                if (candidates.Count == 0) candidates = [.. options.Targets];
                relay.DialRight(candidates[random.Next(candidates.Count)]);
            }
            else
            {
                var right = options.Targets[random.Next(options.Targets.Count)];
                var others = options.Targets.Where(t => !t.Equals(right)).ToList();
                relay = HandshakeRelay.Between(others[random.Next(others.Count)], right);
                rightKey = options.KeysAt.TryGetValue(right, out var key) ? key : null;
            }

            using (relay)
            {
                report.Rounds++;
                if (held) report.HeldRounds++;
                if (held && relay.HasLeft) report.HeldDialed++;

                await Task.Delay(500, CancellationToken.None).ConfigureAwait(false);
                // Opening in the right side's name, the left answers as to that validator and its Hello goes on to it.
                if (relay.OpenIfSilent(rightKey)) report.OpenedHellos++;
                var injecting = clock.Elapsed;
                while (clock.Elapsed - injecting < InjectFor && !relay.BothClosed && !ct.IsCancellationRequested)
                {
                    var payload = new byte[1 + random.Next(64)];
                    random.NextBytes(payload);
                    relay.Inject(HandshakeRelay.PlaintextBatch(payload));
                    relay.Inject(HandshakeRelay.ForgedSealed(random, counter++));
                    await Task.Delay(InjectEvery, CancellationToken.None).ConfigureAwait(false);
                }

                report.Forwarded += relay.Forwarded;
                report.Injected += relay.Injected;
                report.Sessions += relay.Sessions;
                var (l, r) = relay.ClosedBecause;
                if (relay.HasLeft) report.Closed(l);
                report.Closed(r);
            }

            progress?.Invoke(report);
        }

        return report;
    }
}

/// <summary>What the relay got, summed over its rounds.</summary>
public sealed class RelayReport
{
    private readonly SortedDictionary<string, int> _closedBy = new(StringComparer.Ordinal);

    public int Rounds { get; internal set; }

    /// <summary>Rounds that held a seat's address (the rest dialed two validators).</summary>
    public int HeldRounds { get; internal set; }

    /// <summary>Held rounds in which a validator dialed the held address.</summary>
    public int HeldDialed { get; internal set; }

    /// <summary>Rounds in which neither side spoke first and the relay opened with a Hello in the other validator's name.</summary>
    public int OpenedHellos { get; internal set; }

    /// <summary>Handshake packets handed from one validator to the other.</summary>
    public long Forwarded { get; internal set; }

    /// <summary>Packets of its own making: plaintext batches and forged sealed packets.</summary>
    public long Injected { get; internal set; }

    /// <summary>Connections a validator took for an authenticated session (it sent a sealed packet). Must be 0.</summary>
    public int Sessions { get; internal set; }

    /// <summary>How the relay's connections ended, by LiteNetLib's reason ("open" when still open at the round's end).</summary>
    public IReadOnlyDictionary<string, int> ClosedBy => _closedBy;

    internal void Closed(string? reason)
    {
        var key = reason ?? "open";
        _closedBy[key] = _closedBy.GetValueOrDefault(key) + 1;
    }

    public string Summary()
    {
        var closed = new StringBuilder();
        foreach (var (reason, n) in _closedBy) closed.Append(closed.Length > 0 ? ", " : "").Append(CultureInfo.InvariantCulture, $"{reason} {n}");
        return string.Create(CultureInfo.InvariantCulture,
            $"relay: sessions {Sessions}, {Rounds} rounds ({Rounds - HeldRounds} dialing two validators, {HeldRounds} holding a seat's address, dialed in {HeldDialed}), " +
            $"{Forwarded} handshake packets forwarded, {Injected} packets injected, {OpenedHellos} opened with a Hello in the other validator's name; connections ended: {closed}");
    }
}
