using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dkms.Core.Genesis;
using Dkms.Core.Primitives;

namespace Dkms.Cli.Infrastructure;

/// <summary>
/// The highest height this client has verified, per chain, in a small JSON file (default
/// <c>~/.dkms/verified-heights.json</c>, mode 0600): a node cannot take a later run back to state older than
/// one an earlier run saw. A chain is named by its id and a digest of its genesis (time and validators), so a
/// testnet started again under the same id does not inherit the old chain's heights. Heights only grow;
/// concurrent runs take a lock file beside it and merge by maximum.
/// </summary>
internal sealed class VerifiedHeights(string path)
{
    /// <summary>Far more than a few chains need; a larger file is not one this client wrote.</summary>
    private const int MaxFileBytes = 64 * 1024;

    public string Path { get; } = path;

    /// <summary>The name of the chain <paramref name="genesis"/> starts, as the file keys it.</summary>
    public static string ChainKey(GenesisDocument genesis)
    {
        var text = new StringBuilder().Append(genesis.ChainId).Append('\n')
            .Append(genesis.GenesisTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var v in genesis.Validators) text.Append(v.NodeKey.ToLowerInvariant()).Append(':').Append(v.Power.ToString(CultureInfo.InvariantCulture)).Append('\n');
        return genesis.ChainId + "/" + Hash32.Sha256(Encoding.UTF8.GetBytes(text.ToString())).ToHex()[..16];
    }

    /// <summary>The highest height verified on <paramref name="chain"/>; 0 when none (or no file yet).</summary>
    public ulong Get(string chain) => Read().TryGetValue(chain, out var h) ? h : 0;

    /// <summary>Raises the chain's height to <paramref name="height"/> (never lowers it).</summary>
    public void Record(string chain, ulong height)
    {
        FileStore.EnsurePrivateDirectory(Path);
        using var held = FileStore.Lock(Path);
        var heights = Read();
        if (heights.TryGetValue(chain, out var known) && known >= height) return;
        heights[chain] = height;
        var json = new JsonObject { ["version"] = 1, ["chains"] = new JsonObject([.. heights.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))]) };
        FileStore.WritePrivately(Path, Encoding.UTF8.GetBytes(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"));
    }

    private Dictionary<string, ulong> Read()
    {
        var heights = new Dictionary<string, ulong>(StringComparer.Ordinal);
        if (!File.Exists(Path)) return heights;
        var info = new FileInfo(Path);
        if (info.Length > MaxFileBytes) throw Malformed($"it is larger than {MaxFileBytes} bytes");
        try
        {
            if (JsonNode.Parse(File.ReadAllBytes(Path)) is not JsonObject root || root["chains"] is not JsonObject chains) throw Malformed("it has no \"chains\" object");
            foreach (var (chain, node) in chains)
            {
                if (node is not JsonValue v || !v.TryGetValue<ulong>(out var h)) throw Malformed($"the height of '{chain}' is not a number");
                heights[chain] = h;
            }
        }
        catch (JsonException e)
        {
            throw Malformed(e.Message);
        }

        return heights;
    }

    private CliException Malformed(string why) =>
        CliException.Usage($"the file of verified heights {Path} is malformed ({why}); delete it to start over (this client then forgets the heights it has seen)");
}
