using BenchmarkDotNet.Running;
using Dkms.Consensus.Bench;

switch (args.FirstOrDefault())
{
    case "cpu":
        CpuRun.Run(samples: Arg(1, 9), heights: Arg(2, 40), txsPerBlock: Arg(3, 1000));
        break;
    case "parts":
        PartsRun.Run();
        break;
    case "traffic":
        TrafficRun.Run(Arg(1, 100));
        break;
    case "loop": // for an external profiler: `loop fixed|inmemory heights`
        var cluster = new Cluster(args.ElementAtOrDefault(1) == "inmemory" ? AppKind.InMemory : AppKind.FixedCost, 1000);
        for (var i = 0; i < Arg(2, 1000); i++) cluster.OneHeight();
        break;
    default:
        BenchmarkSwitcher.FromAssembly(typeof(ConsensusBenchmarks).Assembly).Run(args);
        break;
}

int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture) : fallback;
