using Dkms.Storage;

namespace Dkms.Node;

/// <summary>
/// What <c>dkms-node run</c> does when its store is damaged (issue 17): it exits with <see cref="ExitCode"/> and says
/// what is damaged and how to recover, instead of starting at a lower height or serving what it cannot read.
/// </summary>
internal static class DamagedDataDirectory
{
    /// <summary>The process exit code for a damaged data directory (2: bad configuration, 3: a storage write failed).</summary>
    public const int ExitCode = 4;

    /// <summary>The corruption that <paramref name="e"/> is or wraps, if any.</summary>
    public static StorageCorruptionException? Find(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is StorageCorruptionException found) return found;
            if (e is AggregateException all)
            {
                foreach (var inner in all.InnerExceptions)
                {
                    if (Find(inner) is { } nested) return nested;
                }
            }
        }

        return null;
    }

    /// <summary>The message for the operator: what is damaged, and the recovery runbook in short.</summary>
    public static string Explain(StorageCorruptionException e, NodeSettings settings)
    {
        var ledger = Path.Combine(settings.DataDir, "ledger");
        return
            $"dkms-node run: the data directory {settings.DataDir} is damaged: {e.Message}\n" +
            "The node stops rather than start from lost state or serve or sign from it. To recover:\n" +
            "  1. keep the node key file " + settings.ResolvedNodeKeyFile + " and the config: they are not part of the damage;\n" +
            $"  2. move the store aside (keep it to inspect): mv {ledger} {ledger}.damaged;\n" +
            "  3. wait until the other validators have committed past this node's last height + 1 (its log names the last height\n" +
            "     it committed; check a peer's node.status), so nothing it signs again can conflict with what it signed;\n" +
            "  4. start the node again: it writes the genesis into a fresh store and resyncs the chain from its peers\n" +
            "     (a testnet can also start over: ./run-testnet.sh clean).\n" +
            "See docs/node.md, \"Recovering a damaged data directory\".";
    }
}
