using System.Globalization;
using System.Text;
using Dkms.Adversary.Fuzzing;

namespace Dkms.Adversary;

/// <summary>Counters of a campaign; readable from any thread while it runs.</summary>
public sealed class CampaignReport
{
    private readonly long[] _byStrategy = new long[Enum.GetValues<Strategy>().Length];
    private readonly long[] _byMutation = new long[Enum.GetValues<Mutation>().Length];
    private long _sent;
    private long _bytes;
    private long _notConnected;
    private long _notBuilt;

    /// <summary>Messages handed to the transport for a connected validator.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Messages not sent because their target had no session at that moment.</summary>
    public long NotConnected => Interlocked.Read(ref _notConnected);

    /// <summary>Own blocks the adversary could not build (its replica rejected the transactions).</summary>
    public long NotBuilt => Interlocked.Read(ref _notBuilt);

    public long MessagesReceived { get; internal set; }

    public TimeSpan Elapsed { get; internal set; }

    /// <summary>Why the campaign ended before sending all its messages (null when it did).</summary>
    public string? StoppedEarly { get; internal set; }

    public long SentBy(Strategy s) => Interlocked.Read(ref _byStrategy[(int)s]);

    public long Applied(Mutation m) => Interlocked.Read(ref _byMutation[(int)m]);

    internal void CountSent(Strategy s, int bytes)
    {
        Interlocked.Increment(ref _sent);
        Interlocked.Add(ref _bytes, bytes);
        Interlocked.Increment(ref _byStrategy[(int)s]);
    }

    internal void CountNotConnected() => Interlocked.Increment(ref _notConnected);

    internal void CountNotBuilt() => Interlocked.Increment(ref _notBuilt);

    internal void CountMutation(Mutation m) => Interlocked.Increment(ref _byMutation[(int)m]);

    public string Summary()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(c, $"sent {Sent:N0} messages ({Bytes / 1024.0 / 1024.0:F1} MiB) in {Elapsed.TotalSeconds:F1} s");
        sb.Append(c, $", {NotConnected:N0} not sent (no session), {MessagesReceived:N0} received");
        if (NotBuilt > 0) sb.Append(c, $", {NotBuilt:N0} own blocks not built");
        if (StoppedEarly is not null) sb.Append(c, $"; stopped early: {StoppedEarly}");
        sb.AppendLine();
        sb.Append("  by strategy:");
        foreach (var s in Enum.GetValues<Strategy>().Where(s => SentBy(s) > 0)) sb.Append(c, $" {s}={SentBy(s):N0}");
        sb.AppendLine();
        sb.Append("  mutations:");
        foreach (var m in Enum.GetValues<Mutation>().Where(m => Applied(m) > 0)) sb.Append(c, $" {m}={Applied(m):N0}");
        return sb.ToString();
    }
}
