using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Dkms.Consensus.Bench.ConsensusBenchmarks).Assembly).Run(args);
