using System.Text.Json;
using System.Text.RegularExpressions;
using Dkms.Node.Testing;

namespace Dkms.Node.Tests.Rpc;

/// <summary>
/// docs/grafana-dashboard.json parses as a dashboard, and every metric its queries name is one the node exports: a
/// metric renamed in the code and not in the dashboard fails here.
/// </summary>
public sealed partial class GrafanaDashboardTests
{
    private static string DashboardPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "docs", "grafana-dashboard.json");
            if (File.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "Dkms.Node.sln"))) return candidate;
        }

        throw new FileNotFoundException("docs/grafana-dashboard.json not found above the test's folder");
    }

    [GeneratedRegex(@"\bdkms_[a-z0-9_]+")]
    private static partial Regex MetricName();

    /// <summary>Every query text of the dashboard: panel targets and template variables.</summary>
    private static List<string> Queries(JsonElement dashboard)
    {
        var queries = new List<string>();
        foreach (var panel in dashboard.GetProperty("panels").EnumerateArray())
        {
            foreach (var target in panel.GetProperty("targets").EnumerateArray()) queries.Add(target.GetProperty("expr").GetString()!);
        }

        foreach (var variable in dashboard.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            if (variable.TryGetProperty("definition", out var definition)) queries.Add(definition.GetString()!);
        }

        return queries;
    }

    /// <summary>The series names a node's <c>GET /metrics</c> can carry: every family it declares, with a histogram's
    /// <c>_bucket</c>, <c>_sum</c> and <c>_count</c>.</summary>
    private static async Task<HashSet<string>> ExportedNamesAsync()
    {
        await using var net = await InProcessTestnet.StartAsync(1);
        using var http = new HttpClient { BaseAddress = net.RpcEndpoints[0], Timeout = TimeSpan.FromSeconds(60) };
        var text = await http.GetStringAsync("metrics");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var parts = line.Split(' ');
            if (parts is ["#", "TYPE", var name, var type, ..])
            {
                names.Add(name);
                if (type == "histogram") names.UnionWith([name + "_bucket", name + "_sum", name + "_count"]);
            }
        }

        return names;
    }

    [Fact]
    public async Task Every_metric_the_dashboard_queries_is_exported_by_the_node()
    {
        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(DashboardPath()));
        var used = Queries(doc.RootElement).SelectMany(q => MetricName().Matches(q).Select(m => m.Value)).ToHashSet(StringComparer.Ordinal);
        var exported = await ExportedNamesAsync();
        Assert.NotEmpty(exported);
        var unknown = used.Where(n => !exported.Contains(n)).Order(StringComparer.Ordinal).ToArray();
        Assert.True(unknown.Length == 0, $"the dashboard queries metrics the node does not export: {string.Join(", ", unknown)}");

        // What an operator watches first is there.
        foreach (var required in new[] { "dkms_height", "dkms_round", "dkms_commit_latency_seconds_bucket", "dkms_mempool_transactions", "dkms_peers", "dkms_transactions_rejected_total", "dkms_rpc_client_errors_total" })
        {
            Assert.Contains(required, used);
        }
    }

    [Fact]
    public void The_dashboard_is_well_formed()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(DashboardPath()));
        var root = doc.RootElement;
        Assert.False(string.IsNullOrEmpty(root.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(root.GetProperty("uid").GetString()));
        var panels = root.GetProperty("panels").EnumerateArray().ToArray();
        Assert.NotEmpty(panels);
        Assert.Equal(panels.Length, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
        foreach (var panel in panels)
        {
            Assert.False(string.IsNullOrEmpty(panel.GetProperty("title").GetString()));
            var grid = panel.GetProperty("gridPos");
            Assert.True(grid.GetProperty("w").GetInt32() is > 0 and <= 24);
            Assert.Equal("${datasource}", panel.GetProperty("datasource").GetProperty("uid").GetString());
            var targets = panel.GetProperty("targets").EnumerateArray().ToArray();
            Assert.NotEmpty(targets);
            Assert.Equal(targets.Length, targets.Select(t => t.GetProperty("refId").GetString()).Distinct().Count());
        }
    }
}
