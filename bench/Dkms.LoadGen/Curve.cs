using System.Globalization;
using System.Text;

namespace Dkms.LoadGen;

/// <summary>The curve: a Markdown table and an SVG plot (throughput and p50/p99 latency against offered load).</summary>
public static class Curve
{
    private static string F(double v, string format = "F0") => v.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>Runs grouped by label (one point per offered rate), in order of target rate, max last; medians where a rate ran several times.</summary>
    public static List<(string Label, RunResult Median, int Runs, List<RunResult> All)> Points(IEnumerable<RunResult> results) =>
        [.. results.GroupBy(r => r.Label)
            .Select(g =>
            {
                var list = g.OrderBy(r => r.CommittedTxPerSecond).ToList();
                return (g.Key, list[(list.Count - 1) / 2], list.Count, list);
            })
            .OrderBy(p => p.Item2.TargetRate ?? double.MaxValue)];

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length == 0 ? 0 : v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    public static string Table(IEnumerable<RunResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| offered (target) | offered (sent) | committed tx/s | p50 ms | p90 ms | p99 ms | max ms | lost | rejected | mempool-full retries | tx/block | node CPU (cores, each) | load gen CPU | other CPU | runs |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (label, _, runs, all) in Points(results))
        {
            var m = (Func<RunResult, double> f) => Median(all.Select(f));
            var target = all[0].TargetRate is { } t ? F(t) : "max";
            var cpu = string.Join(" / ", Enumerable.Range(0, all[0].NodeCpu.Length).Select(i =>
                all.Any(r => r.NodeCpu[i].Cores is not null) ? F(Median(all.Where(r => r.NodeCpu[i].Cores is not null).Select(r => r.NodeCpu[i].Cores!.Value)), "F2") : "-"));
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {target} | {F(m(r => r.OfferedRate))} | {F(m(r => r.CommittedTxPerSecond))} | {F(m(r => r.Latency.P50))} | {F(m(r => r.Latency.P90))} | {F(m(r => r.Latency.P99))} | {F(m(r => r.Latency.Max))} | " +
                $"{all.Sum(r => r.Lost)} | {all.Sum(r => r.Rejected)} | {all.Sum(r => r.MempoolFullRetries)} | {F(m(r => r.TxPerBlock))} | {cpu} | {F(m(r => r.LoadGenCores), "F2")} | {F(m(r => r.OtherProcessesCores), "F2")} | {runs} |");
        }

        return sb.ToString();
    }

    /// <summary>Two panels side by side, x = offered load (one evenly spaced column per run label).</summary>
    public static string Svg(IEnumerable<RunResult> results)
    {
        var points = Points(results).Select(p => (p.Label, X: p.All[0].TargetRate is { } t ? F(t) : "max",
            Sent: Median(p.All.Select(r => r.OfferedRate)), Tps: Median(p.All.Select(r => r.CommittedTxPerSecond)),
            P50: Median(p.All.Select(r => r.Latency.P50)), P99: Median(p.All.Select(r => r.Latency.P99)))).ToList();
        const int W = 960, H = 420, Pad = 60, PanelW = 400, PanelH = 280, Top = 60;
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">");
        sb.AppendLine(CultureInfo.InvariantCulture, $"<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>");
        sb.AppendLine("<text x=\"480\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">Dkms.Node end-to-end: 4 validators on one 2-core machine (dkms-loadgen)</text>");

        void Panel(int x0, string title, string yLabel, double yMax, (string Name, string Color, Func<int, double> Y)[] series)
        {
            var n = points.Count;
            double Px(int i) => x0 + (n == 1 ? PanelW / 2.0 : i * (PanelW / (double)(n - 1)));
            double Py(double v) => Top + PanelH - v / yMax * PanelH;
            sb.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{x0 + PanelW / 2}\" y=\"{Top - 14}\" text-anchor=\"middle\" font-size=\"13\">{title}</text>");
            sb.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{x0}\" y=\"{Top}\" width=\"{PanelW}\" height=\"{PanelH}\" fill=\"none\" stroke=\"#999\"/>");
            for (var k = 0; k <= 4; k++)
            {
                var v = yMax * k / 4;
                var y = Py(v);
                sb.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{x0}\" y1=\"{F(y, "F1")}\" x2=\"{x0 + PanelW}\" y2=\"{F(y, "F1")}\" stroke=\"#eee\"/>");
                sb.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{x0 - 6}\" y=\"{F(y + 4, "F1")}\" text-anchor=\"end\">{F(v)}</text>");
            }

            for (var i = 0; i < n; i++)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{F(Px(i), "F1")}\" y=\"{Top + PanelH + 16}\" text-anchor=\"middle\">{points[i].X}</text>");
            }

            sb.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{x0 + PanelW / 2}\" y=\"{Top + PanelH + 34}\" text-anchor=\"middle\">offered load (tx/s target)</text>");
            sb.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{x0 - 46}\" y=\"{Top + PanelH / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 {x0 - 46} {Top + PanelH / 2})\">{yLabel}</text>");
            var legendY = Top + PanelH + 52;
            var legendX = x0;
            foreach (var (name, color, yf) in series)
            {
                var pts = string.Join(" ", Enumerable.Range(0, n).Select(i => $"{F(Px(i), "F1")},{F(Py(Math.Min(yf(i), yMax)), "F1")}"));
                sb.AppendLine(CultureInfo.InvariantCulture, $"<polyline points=\"{pts}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>");
                foreach (var i in Enumerable.Range(0, n))
                {
                    sb.AppendLine(CultureInfo.InvariantCulture, $"<circle cx=\"{F(Px(i), "F1")}\" cy=\"{F(Py(Math.Min(yf(i), yMax)), "F1")}\" r=\"3\" fill=\"{color}\"><title>{name}: {F(yf(i))}</title></circle>");
                }

                sb.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{legendX}\" y1=\"{legendY}\" x2=\"{legendX + 20}\" y2=\"{legendY}\" stroke=\"{color}\" stroke-width=\"2\"/><text x=\"{legendX + 24}\" y=\"{legendY + 4}\">{name}</text>");
                legendX += 130;
            }
        }

        var tpsMax = Nice(points.Count == 0 ? 1 : points.Max(p => Math.Max(p.Tps, p.Sent)));
        Panel(Pad + 10, "throughput", "tx/s", tpsMax,
        [
            ("offered (sent)", "#999", i => points[i].Sent),
            ("committed", "#1f77b4", i => points[i].Tps),
        ]);
        var latMax = Nice(points.Count == 0 ? 1 : points.Max(p => p.P99));
        Panel(Pad + 10 + PanelW + 80, "commit latency", "ms", latMax,
        [
            ("p50", "#2ca02c", i => points[i].P50),
            ("p99", "#d62728", i => points[i].P99),
        ]);
        sb.AppendLine("</svg>");
        return sb.ToString();
    }

    private static double Nice(double v)
    {
        if (v <= 0) return 1;
        var exp = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (var m in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (m * exp >= v) return m * exp;
        }

        return 10 * exp;
    }
}
