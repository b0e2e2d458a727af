namespace Dkms.LoadGen;

/// <summary>None of the nodes given answered: there is no testnet to load (or not on these addresses).</summary>
public sealed class NoNodeAnsweredException(IReadOnlyList<Uri> nodes, Exception last) : Exception(
    $"no node answered at {string.Join(", ", nodes)} ({last.Message}); start the testnet (./run-testnet.sh) or pass --nodes " +
    "(the default addresses follow RPC_PORT, as run-testnet.sh does)", last)
{
    public IReadOnlyList<Uri> Nodes { get; } = nodes;
}
