using BenchmarkDotNet.Running;

namespace Dkms.Ledger.Bench;

public static class Program
{
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "profile")
        {
            int Arg(int i, int otherwise) => args.Length > i ? int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture) : otherwise;
            Profile.Run(rocks: args.Length > 1 && args[1] == "rocksdb", blocks: Arg(2, 12), warmUpBlocks: Arg(3, Profile.DefaultWarmUpBlocks));
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
