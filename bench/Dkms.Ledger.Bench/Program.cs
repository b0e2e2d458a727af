using BenchmarkDotNet.Running;

namespace Dkms.Ledger.Bench;

public static class Program
{
    public static void Main(string[] args)
    {
        int Arg(int i, int otherwise) => args.Length > i ? int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture) : otherwise;
        if (args.Length > 0 && args[0] == "profile")
        {
            Profile.Run(rocks: args.Length > 1 && args[1] == "rocksdb", blocks: Arg(2, 12), warmUpBlocks: Arg(3, Profile.DefaultWarmUpBlocks));
            return;
        }

        if (args.Length > 0 && args[0] == "history")
        {
            HistoryReads.Run(rocks: args.Length > 1 && args[1] == "rocksdb", events: Arg(2, HistoryReads.DefaultEvents));
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
