using System.Diagnostics;

namespace Dkms.Core.Tests.WireFormat;

/// <summary>
/// A client written from docs/wire-format.md alone, in JavaScript with Node's built-ins only
/// (tests/interop/wire-format.mjs), builds every vector's transaction from its JSON input and must produce the bytes,
/// signatures, hashes and identifiers the doc lists. Runs when node is on PATH; skipped (and reported so) otherwise.
/// </summary>
[Trait("Category", "Interop")]
public class JavaScriptClientTests
{
    private static (int Exit, string Output) RunScript(string docPath)
    {
        var psi = new ProcessStartInfo(NodeJs.Find()!, [RepoFiles.Path("tests", "interop", "wire-format.mjs"), docPath])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail("node did not finish the wire-format check within 2 minutes");
        }

        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    [NodeFact]
    public void A_javascript_client_built_from_the_doc_reproduces_every_vector()
    {
        var (exit, output) = RunScript(RepoFiles.Path("docs", "wire-format.md"));
        Assert.True(exit == 0, output);
        var expected = WireFormatDocTests.DocVectors().Count;
        Assert.Contains($"{expected} of {expected} vectors reproduced", output, StringComparison.Ordinal);
    }

    [NodeFact]
    public void The_javascript_check_fails_on_a_doc_whose_bytes_are_wrong()
    {
        // One changed hex digit in one listed body: the client builds the right bytes and must notice the doc is wrong.
        var doc = File.ReadAllText(RepoFiles.Path("docs", "wire-format.md"));
        var marker = "\"body\": \"";
        var at = doc.IndexOf(marker, StringComparison.Ordinal) + marker.Length + 10;
        var tampered = doc[..at] + (doc[at] == '0' ? '1' : '0') + doc[(at + 1)..];
        var dir = Directory.CreateTempSubdirectory("dkms-wire-");
        try
        {
            var path = Path.Combine(dir.FullName, "wire-format.md");
            File.WriteAllText(path, tampered);
            var (exit, output) = RunScript(path);
            Assert.NotEqual(0, exit);
            Assert.Contains("MISMATCH", output, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
