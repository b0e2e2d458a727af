// One attack at a time: each measures the process's heap (the honest validators') and must not count another's,
// and two testnets under attack at once would share the machine's two cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
