namespace Dkms.Node.Commands;

internal static class InitCommand
{
    public static int Run(string[] args, TextWriter output)
    {
        var cl = new CommandLine(args);
        cl.AllowOnly("--data-dir");
        var dataDir = cl.Require("--data-dir");
        Directory.CreateDirectory(dataDir);
        var keyFile = Path.Combine(dataDir, "node_key.json");
        if (File.Exists(keyFile))
        {
            output.WriteLine($"node key exists: {keyFile}");
            output.WriteLine($"public key: {NodeKeyFile.Load(keyFile).PublicKey.ToHex()}");
            return 0;
        }

        var key = NodeKeyFile.Create(keyFile);
        output.WriteLine($"created node key: {keyFile}");
        output.WriteLine($"public key: {key.ToHex()}");
        return 0;
    }

    public static int ShowKey(string[] args, TextWriter output)
    {
        var cl = new CommandLine(args);
        cl.AllowOnly("--data-dir", "--node-key");
        var file = cl.Get("--node-key") ?? Path.Combine(cl.Require("--data-dir"), "node_key.json");
        output.WriteLine(NodeKeyFile.Load(file).PublicKey.ToHex());
        return 0;
    }
}
