using System.Text;
using System.Text.Json.Nodes;
using Dkms.Client;
using Dkms.Core.Blocks;
using Dkms.Core.Primitives;

namespace Dkms.Cli.Infrastructure;

/// <summary>
/// The validator sets this client has verified after the genesis, per chain (keyed like <see cref="VerifiedHeights"/>), in
/// a small JSON file (default <c>~/.dkms/trusted-validators.json</c>, mode 0600): each set with the sequence of the change
/// that made it and the height it is in force from. A later run starts from them instead of following every change again
/// from the genesis, and no node can take it back to an older set: the cache only grows (a shorter chain never replaces a
/// longer one). As trusted as the genesis copy beside it — whoever can write one can write the other.
/// </summary>
internal sealed class TrustedValidators(string path)
{
    /// <summary>Hundreds of changes of sets of a few dozen validators; a larger file is not one this client wrote.</summary>
    private const int MaxFileBytes = 4 * 1024 * 1024;

    public string Path { get; } = path;

    /// <summary>The sets verified on <paramref name="chain"/> after its genesis, oldest first (none when no file yet).</summary>
    public IReadOnlyList<TrustedValidatorSet> Get(string chain)
    {
        var root = Read();
        if (root?["chains"]?[chain] is not JsonArray sets) return [];
        try
        {
            return [.. sets.Select(Parse)];
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentException or NullReferenceException)
        {
            throw Malformed($"the sets of '{chain}' do not parse ({e.Message})");
        }
    }

    /// <summary>Keeps <paramref name="trusted"/>'s verified sets for <paramref name="chain"/> unless the file already holds as many.</summary>
    public void Record(string chain, TrustedChain trusted)
    {
        var sets = trusted.Sets.Skip(1).ToArray();
        if (sets.Length == 0) return;
        FileStore.EnsurePrivateDirectory(Path);
        using var held = FileStore.Lock(Path);
        var root = Read() ?? new JsonObject { ["version"] = 1, ["chains"] = new JsonObject() };
        if (root["chains"] is not JsonObject chains) throw Malformed("it has no \"chains\" object");
        if (chains[chain] is JsonArray known && known.Count > 0 && !Newer(sets[^1], Kept(known[^1]))) return; // never backwards
        chains[chain] = new JsonArray([.. sets.Select(View)]);
        FileStore.WritePrivately(Path, Encoding.UTF8.GetBytes(root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n"));
    }

    /// <summary>A later change, or the same one verified at a later block time (the skipping rule's trusting period runs
    /// from there).</summary>
    private static bool Newer(TrustedValidatorSet candidate, TrustedValidatorSet kept) =>
        candidate.Sequence > kept.Sequence || (candidate.Sequence == kept.Sequence && candidate.VerifiedAtMs > kept.VerifiedAtMs);

    private TrustedValidatorSet Kept(JsonNode? node)
    {
        try
        {
            return Parse(node);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentException or NullReferenceException)
        {
            throw Malformed($"its newest set does not parse ({e.Message})");
        }
    }

    private JsonObject? Read()
    {
        if (!File.Exists(Path)) return null;
        if (new FileInfo(Path).Length > MaxFileBytes) throw Malformed($"it is larger than {MaxFileBytes} bytes");
        try
        {
            return JsonNode.Parse(File.ReadAllBytes(Path)) as JsonObject ?? throw Malformed("it is not a JSON object");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw Malformed(e.Message);
        }
    }

    private static JsonNode View(TrustedValidatorSet set) => new JsonObject
    {
        ["sequence"] = set.Sequence,
        ["fromHeight"] = set.FromHeight,
        ["verifiedAtMs"] = set.VerifiedAtMs,
        ["skipped"] = set.Skipped,
        ["validators"] = new JsonArray([.. set.Set.Validators.Select(v => (JsonNode)new JsonObject { ["nodeKey"] = v.PublicKey.ToHex(), ["power"] = v.Power })]),
    };

    private static TrustedValidatorSet Parse(JsonNode? node) => new(
        node!["sequence"]!.GetValue<ulong>(),
        node["fromHeight"]!.GetValue<ulong>(),
        new ValidatorSet(node["validators"]!.AsArray().Select(v => new Validator(PublicKey.ParseHex(v!["nodeKey"]!.GetValue<string>()), v["power"]!.GetValue<long>()))))
    {
        // Absent in files of older builds: an unknown time (the skipping rule never starts from such a set) and not skipped.
        VerifiedAtMs = node["verifiedAtMs"]?.GetValue<long>() ?? 0,
        Skipped = node["skipped"]?.GetValue<bool>() ?? false,
    };

    private CliException Malformed(string why) =>
        CliException.Usage($"the file of trusted validator sets {Path} is malformed ({why}); delete it to start over (this client then follows the changes from the genesis again)");
}
