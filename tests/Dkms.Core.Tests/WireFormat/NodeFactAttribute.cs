namespace Dkms.Core.Tests.WireFormat;

/// <summary>A fact that needs Node.js (≥ 18, for Ed25519 in node:crypto) on PATH; skipped, saying so, when it is absent.</summary>
public sealed class NodeFactAttribute : FactAttribute
{
    public NodeFactAttribute()
    {
        if (NodeJs.Find() is null) Skip = "node (Node.js) is not on PATH: the JavaScript interop check was not run";
    }
}

internal static class NodeJs
{
    public static string? Find()
    {
        var names = OperatingSystem.IsWindows() ? new[] { "node.exe" } : ["node"];
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var n in names)
            {
                var candidate = System.IO.Path.Combine(dir, n);
                if (File.Exists(candidate)) return candidate;
            }
        }

        return null;
    }
}
