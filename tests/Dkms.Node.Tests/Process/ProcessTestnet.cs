using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Dkms.Core.Genesis;

namespace Dkms.Node.Tests.Process;

/// <summary>
/// Validators as separate <c>dkms-node</c> processes, started the way run-testnet.sh starts them:
/// keys from <c>dkms-node init</c>, a genesis file, one JSON config per node, free ports chosen now.
/// Dispose kills every process it started and deletes the folder.
/// </summary>
public sealed class ProcessTestnet : IDisposable
{
    public const string ChainId = "dkms-process-test";

    private readonly System.Diagnostics.Process?[] _processes;
    private readonly List<StreamWriter> _logs = [];

    public ProcessTestnet(int validators, int outsiders = 0)
    {
        Directory = Path.Combine(Path.GetTempPath(), "dkms-proc-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
        var total = validators + outsiders;
        _processes = new System.Diagnostics.Process?[total];
        RpcEndpoints = new Uri[total];
        var entries = new List<GenesisValidator>();
        var p2p = new string[total];
        var keys = new string[total];
        for (var i = 0; i < total; i++)
        {
            var output = RunToEnd("init", "--data-dir", Path.Combine(Directory, $"node{i}"));
            keys[i] = output.Split('\n').Single(l => l.StartsWith("public key: ", StringComparison.Ordinal))["public key: ".Length..].Trim();
        }

        // Ports last, once the slow `init` runs are done: a port is only known free until someone else binds it.
        for (var i = 0; i < total; i++)
        {
            p2p[i] = $"127.0.0.1:{TestPorts.Next(ProtocolType.Udp)}";
            RpcEndpoints[i] = new Uri($"http://127.0.0.1:{TestPorts.Next(ProtocolType.Tcp)}/");
            if (i < validators) entries.Add(new GenesisValidator { Name = $"node{i}", NodeKey = keys[i], Address = p2p[i], Power = 1 });
        }

        Genesis = new GenesisDocument
        {
            ChainId = ChainId,
            Validators = [.. entries],
            Consensus = new ConsensusParameters { TimeoutProposeMs = 500, TimeoutPrevoteMs = 250, TimeoutPrecommitMs = 250, BatchDelayMs = 5 },
        };
        GenesisPath = Path.Combine(Directory, "genesis.json");
        File.WriteAllText(GenesisPath, Genesis.ToJson());
        for (var i = 0; i < total; i++)
        {
            var config = new JsonObject
            {
                ["Node"] = new JsonObject
                {
                    ["DataDir"] = Path.Combine(Directory, $"node{i}"),
                    ["GenesisFile"] = GenesisPath,
                    ["P2PListen"] = p2p[i],
                    ["RpcListen"] = $"127.0.0.1:{RpcEndpoints[i].Port}",
                },
            };
            File.WriteAllText(ConfigPath(i), config.ToJsonString());
        }
    }

    public string Directory { get; }
    public GenesisDocument Genesis { get; }
    public string GenesisPath { get; }
    public Uri[] RpcEndpoints { get; }

    public string LogPath(int i) => Path.Combine(Directory, $"node{i}", "node.log");

    /// <param name="shellPrefix">Shell commands run before the node replaces the shell (<c>exec</c>): limits it inherits,
    /// such as <c>ulimit -f</c>.</param>
    public void Start(int i, string? shellPrefix = null)
    {
        if (_processes[i] is { HasExited: false }) throw new InvalidOperationException($"node {i} runs");
        var info = NodeCommand("run", "--config", ConfigPath(i));
        if (shellPrefix is not null)
        {
            var args = info.ArgumentList.ToArray();
            info.ArgumentList.Clear();
            foreach (var a in (string[])["-c", shellPrefix + "; exec \"$0\" \"$@\"", info.FileName, .. args]) info.ArgumentList.Add(a);
            info.FileName = "bash";
        }

        var process = System.Diagnostics.Process.Start(info)!;
        var log = new StreamWriter(LogPath(i), append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _logs.Add(log);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes[i] = process;
    }

    /// <summary>kill -9: no chance to flush or close anything.</summary>
    public void Kill(int i)
    {
        var p = _processes[i];
        if (p is null || p.HasExited) return;
        p.Kill(entireProcessTree: true);
        p.WaitForExit(10_000);
    }

    /// <summary>SIGTERM, as run-testnet.sh stop sends it; returns the exit code (null if it did not exit in time).</summary>
    public int? Terminate(int i, TimeSpan patience)
    {
        var p = _processes[i];
        if (p is null || p.HasExited) return p?.ExitCode;
        using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        if (!p.WaitForExit(patience)) return null;
        p.WaitForExit(); // after exit, also waits until the redirected output has reached the log
        return p.ExitCode;
    }

    public string Log(int i) => File.Exists(LogPath(i)) ? ReadShared(LogPath(i)) : "";

    /// <summary>Waits for node <paramref name="i"/> to exit by itself: its exit code, or null if it still runs after <paramref name="patience"/>.</summary>
    public int? WaitForExit(int i, TimeSpan patience)
    {
        var p = _processes[i];
        if (p is null || !p.WaitForExit(patience)) return null;
        p.WaitForExit(); // after exit, also waits until the redirected output has reached the log
        return p.ExitCode;
    }

    public void Dispose()
    {
        for (var i = 0; i < _processes.Length; i++)
        {
            Kill(i);
            _processes[i]?.WaitForExit();
            _processes[i]?.Dispose();
        }

        foreach (var log in _logs)
        {
            lock (log) log.Dispose();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string ConfigPath(int i) => Path.Combine(Directory, $"node{i}", "node.json");

    /// <summary>Runs a <c>dkms-node</c> command to its end: its exit code and output (stdout then stderr).</summary>
    public static (int Code, string Output) RunCommand(params string[] args)
    {
        var info = NodeCommand(args);
        using var p = System.Diagnostics.Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) p.Kill(entireProcessTree: true);
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    private static string RunToEnd(params string[] args)
    {
        var info = NodeCommand(args);
        using var p = System.Diagnostics.Process.Start(info)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit(30_000);
        if (p.ExitCode != 0) throw new InvalidOperationException($"dkms-node {string.Join(' ', args)} failed: {output}");
        return output;
    }

    private static ProcessStartInfo NodeCommand(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(NodeDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        return info;
    }

    /// <summary>The built node next to this test assembly (the test project references it).</summary>
    private static string NodeDll
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "dkms-node.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("dkms-node.dll is not next to the tests; build the solution first", path);
        }
    }

    private static string ReadShared(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(s).ReadToEnd();
    }

}
