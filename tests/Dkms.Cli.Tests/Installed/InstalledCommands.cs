using System.Diagnostics;

namespace Dkms.Cli.Tests.Installed;

/// <summary>What one run of an installed command printed and returned.</summary>
public sealed record ProcessRun(string Command, int ExitCode, string Out, string Error)
{
    public ProcessRun Ok()
    {
        Assert.True(ExitCode == 0, $"{Command}: exit {ExitCode}\nstdout: {Out}\nstderr: {Error}");
        return this;
    }

    public ProcessRun Fails(int exitCode)
    {
        Assert.True(ExitCode == exitCode, $"{Command}: expected exit {exitCode}, got {ExitCode}\nstdout: {Out}\nstderr: {Error}");
        return this;
    }
}

/// <summary>
/// <c>dkms</c> and <c>dkms-node</c> installed by <c>install.sh --no-build</c> into a temp prefix — copies of this build's
/// Release outputs, so nothing the other test assemblies run from is built or overwritten — and run as separate
/// processes with a home of their own and no DKMS_ variables from the test's environment.
/// </summary>
public sealed class InstalledCommands : IDisposable
{
    private readonly List<Process> _started = [];

    public InstalledCommands()
    {
        Root = Path.Combine(Path.GetTempPath(), "dkms-installed-" + Guid.NewGuid().ToString("N")[..12]);
        Prefix = Path.Combine(Root, "prefix");
        Home = Path.Combine(Root, "home");
        Directory.CreateDirectory(Home);
        var install = Run(Root, "bash", Path.Combine(RepositoryRoot, "install.sh"), "--no-build", "--prefix", Prefix);
        InstallOutput = install.Ok().Out;
    }

    public string Root { get; }

    public string Prefix { get; }

    public string Home { get; }

    public string InstallOutput { get; }

    public string Dkms => Path.Combine(Prefix, "bin", "dkms");

    public string DkmsNode => Path.Combine(Prefix, "bin", "dkms-node");

    public static string Configuration =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    /// <summary>The repository this test was built from: the folder holding install.sh above the test assembly.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "install.sh")) && File.Exists(Path.Combine(dir.FullName, "Dkms.Node.sln"))) return dir.FullName;
            }

            throw new DirectoryNotFoundException($"no install.sh above {AppContext.BaseDirectory}");
        }
    }

    public string Folder(string name)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Runs a command to its end (at most two minutes) in <paramref name="workingDirectory"/>.</summary>
    public ProcessRun Run(string workingDirectory, string file, params string[] args)
    {
        using var process = Process.Start(Info(workingDirectory, file, args))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new ProcessRun($"{file} {string.Join(' ', args)}", -1, output.Result, error.Result + "\n(killed after two minutes)");
        }

        return new ProcessRun($"{Path.GetFileName(file)} {string.Join(' ', args)}", process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Starts a long-running command (a node), its output appended to <paramref name="log"/>; stopped by Dispose.</summary>
    public void Start(string workingDirectory, string log, string file, params string[] args)
    {
        var process = Process.Start(Info(workingDirectory, file, args))!;
        _started.Add(process);
        var writer = new StreamWriter(log, append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        process.Exited += (_, _) => { lock (writer) writer.Dispose(); };
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private ProcessStartInfo Info(string workingDirectory, string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("DKMS_", StringComparison.Ordinal)).ToList()) info.Environment.Remove(name);
        info.Environment["HOME"] = Home;
        info.Environment["CONFIGURATION"] = Configuration;
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return info;
    }

    public void Dispose()
    {
        foreach (var p in _started)
        {
            try
            {
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                p.WaitForExit();
            }
            catch (InvalidOperationException)
            {
            }

            p.Dispose();
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
