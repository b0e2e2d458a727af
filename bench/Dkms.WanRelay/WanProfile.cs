using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dkms.WanRelay;

/// <summary>One direction of a link: how long a packet takes (one way), how much that varies, how many are lost.</summary>
public sealed record LinkConditions
{
    /// <summary>One-way delay, milliseconds.</summary>
    public double DelayMs { get; init; }

    /// <summary>Each packet's delay varies uniformly by up to this much either way, milliseconds (packets may reorder).</summary>
    public double JitterMs { get; init; }

    /// <summary>Share of packets dropped, 0..1.</summary>
    public double Loss { get; init; }
}

/// <summary>A time window during which the nodes are split into groups that cannot reach each other.</summary>
public sealed record Partition
{
    /// <summary>Start, seconds after the relay started.</summary>
    public double AtSeconds { get; init; }

    /// <summary>How long the cut lasts, seconds; then it heals.</summary>
    public double ForSeconds { get; init; }

    /// <summary>Groups of region names (or node names); packets cross between groups are dropped. Nodes of regions not
    /// named form one more group.</summary>
    public string[][] Groups { get; init; } = [];
}

/// <summary>
/// A WAN profile: each node sits in a region; the delay between two regions is half their round-trip time; loss and
/// jitter apply to every link between different regions (and <see cref="Local"/> within one region).
/// </summary>
public sealed record WanProfile
{
    public int Seed { get; init; } = 1;

    /// <summary>Region of each node, by index (node 0 first).</summary>
    public string[] NodeRegions { get; init; } = [];

    /// <summary>Round-trip times between regions, milliseconds, as "a-b": rtt (either order).</summary>
    public Dictionary<string, double> RttMs { get; init; } = [];

    /// <summary>Jitter of links between regions, milliseconds.</summary>
    public double JitterMs { get; init; }

    /// <summary>Loss of links between regions, 0..1.</summary>
    public double Loss { get; init; }

    /// <summary>Conditions within one region.</summary>
    public LinkConditions Local { get; init; } = new();

    public Partition[] Partitions { get; init; } = [];

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Reads and checks a profile; an error names what is wrong.</summary>
    public static WanProfile Load(string path)
    {
        WanProfile? profile;
        try
        {
            profile = JsonSerializer.Deserialize<WanProfile>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new ProfileException($"{path}: {e.Message}");
        }

        if (profile is null) throw new ProfileException($"{path}: empty profile");
        profile.Check();
        return profile;
    }

    public void Check()
    {
        if (NodeRegions.Length == 0) throw new ProfileException("nodeRegions: at least one node");
        if (Loss is < 0 or > 1 || Local.Loss is < 0 or > 1) throw new ProfileException("loss must be between 0 and 1");
        if (JitterMs < 0 || Local.JitterMs < 0 || Local.DelayMs < 0) throw new ProfileException("delays and jitter must not be negative");
        var regions = NodeRegions.Distinct().ToArray();
        foreach (var a in regions)
        {
            foreach (var b in regions)
            {
                if (a != b && RttFor(a, b) is null) throw new ProfileException($"rttMs: no round-trip time for \"{a}-{b}\"");
            }
        }

        foreach (var (pair, rtt) in RttMs)
        {
            if (rtt < 0) throw new ProfileException($"rttMs \"{pair}\": negative");
        }

        foreach (var p in Partitions)
        {
            if (p.AtSeconds < 0 || p.ForSeconds <= 0) throw new ProfileException("partitions: atSeconds ≥ 0 and forSeconds > 0");
            foreach (var name in p.Groups.SelectMany(g => g))
            {
                if (!regions.Contains(name) && !int.TryParse(name, out _)) throw new ProfileException($"partitions: \"{name}\" is neither a region nor a node index");
            }
        }
    }

    private double? RttFor(string a, string b) =>
        RttMs.TryGetValue($"{a}-{b}", out var r) || RttMs.TryGetValue($"{b}-{a}", out r) ? r : null;

    /// <summary>The conditions from node <paramref name="from"/> to node <paramref name="to"/>.</summary>
    public LinkConditions Link(int from, int to)
    {
        var a = NodeRegions[from];
        var b = NodeRegions[to];
        return a == b ? Local : new LinkConditions { DelayMs = RttFor(a, b)!.Value / 2, JitterMs = JitterMs, Loss = Loss };
    }

    /// <summary>True when a partition active at <paramref name="elapsed"/> separates the two nodes.</summary>
    public bool IsCut(int from, int to, TimeSpan elapsed)
    {
        foreach (var p in Partitions)
        {
            var s = elapsed.TotalSeconds;
            if (s < p.AtSeconds || s >= p.AtSeconds + p.ForSeconds) continue;
            if (GroupOf(p, from) != GroupOf(p, to)) return true;
        }

        return false;
    }

    private int GroupOf(Partition p, int node)
    {
        for (var g = 0; g < p.Groups.Length; g++)
        {
            if (p.Groups[g].Any(n => n == NodeRegions[node] || n == node.ToString(System.Globalization.CultureInfo.InvariantCulture))) return g;
        }

        return p.Groups.Length;
    }
}

public sealed class ProfileException(string message) : Exception(message);

/// <summary>Where node i listens (its P2P port) and where the relay listens for it (the address peers dial).</summary>
public sealed record RelayedNode(IPEndPoint Node, IPEndPoint Relay);
