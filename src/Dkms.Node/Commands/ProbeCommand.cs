using System.Diagnostics;
using System.Security.Cryptography;
using Dkms.Client;
using Dkms.Core.Crypto;
using Dkms.Core.Genesis;
using Dkms.Core.Transactions;
using Dkms.Rpc;

namespace Dkms.Node.Commands;

/// <summary>
/// <c>dkms-node probe</c>: commits one inception of a throwaway identity through a node's RPC and
/// reports the block height and latency — the smoke test run-testnet.sh uses to see blocks committed.
/// </summary>
internal static class ProbeCommand
{
    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        var cl = new CommandLine(args);
        cl.AllowOnly(["--rpc", "--genesis", "--timeout-ms", .. CommandLine.RpcOptions]);
        var genesis = GenesisDocument.Load(cl.Get("--genesis") ?? "genesis/genesis.json");
        var seed = RandomNumberGenerator.GetBytes(32);
        var key = Ed25519Signer.FromSeed(seed);
        var next = Ed25519Signer.FromSeed(RandomNumberGenerator.GetBytes(32));
        CryptographicOperations.ZeroMemory(seed);
        var (tx, id) = new TransactionBuilder(genesis.ChainId).Inception(new KeyConfig([key.PublicKey], 1, [next.PublicKey.Digest()], 1), [key]);

        using var client = cl.RpcClient("http://127.0.0.1:26657/");
        var watch = Stopwatch.StartNew();
        try
        {
            var result = await client.SubmitAsync(tx, SubmitModes.Commit, cl.GetInt("--timeout-ms", 30_000)).ConfigureAwait(false);
            output.WriteLine($"probe committed: {id} at height {result.Height} (index {result.Index}) in {watch.ElapsedMilliseconds} ms");
            return 0;
        }
        catch (RpcException e)
        {
            Console.Error.WriteLine($"probe failed: {e.Message}");
            return 3;
        }
    }
}
