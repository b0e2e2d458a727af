using System.Text.Json;
using System.Text.Json.Serialization;
using Dkms.Core.Primitives;

namespace Dkms.Cli.Infrastructure;

/// <summary>
/// The chain this CLI was set up against (<c>dkms config init</c>): its id, the SHA-256 of its genesis file, a copy of
/// that file kept beside the config (so verification does not depend on the working directory or on the original
/// staying put), where the genesis came from, and the node to talk to. A separate file rather than a field of the
/// wallet: a verifier needs it without any wallet, several wallets (a phone's, a restored one) share one chain, and
/// the CLI must know the chain before it unlocks anything.
/// </summary>
internal sealed record ChainConfig
{
    public const string DefaultPath = "~/.dkms/config.json";

    /// <summary>A config is a few hundred bytes; a larger file is not one this client wrote.</summary>
    private const int MaxFileBytes = 64 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public int Version { get; init; } = 1;

    public required string ChainId { get; init; }

    /// <summary>SHA-256 of the genesis file's bytes, lower-case hex: the copy must still hash to it.</summary>
    public required string GenesisSha256 { get; init; }

    /// <summary>The copy of the genesis file, an absolute path (beside the config).</summary>
    public required string GenesisFile { get; init; }

    /// <summary>The genesis file given at set-up, an absolute path; only used to warn when it has changed since.</summary>
    public string? GenesisSource { get; init; }

    public string? Node { get; init; }

    /// <summary>Where the genesis copy of the config at <paramref name="configPath"/> lives: <c>config.json</c> → <c>config.genesis.json</c>.</summary>
    public static string CopyPathFor(string configPath) =>
        Path.Combine(Path.GetDirectoryName(configPath)!, Path.GetFileNameWithoutExtension(configPath) + ".genesis.json");

    public static string Sha256Of(byte[] bytes) => Hash32.Sha256(bytes).ToHex();

    /// <summary>The config at <paramref name="path"/>, or null when there is none (the CLI was never set up).</summary>
    public static ChainConfig? Load(string path)
    {
        if (!File.Exists(path)) return null;
        if (new FileInfo(path).Length > MaxFileBytes) throw Malformed(path, $"it is larger than {MaxFileBytes} bytes");
        try
        {
            var config = JsonSerializer.Deserialize<ChainConfig>(File.ReadAllBytes(path), Json) ?? throw Malformed(path, "it is empty");
            if (config.Version != 1) throw Malformed(path, $"version {config.Version} is not one this dkms knows");
            return config;
        }
        catch (JsonException e)
        {
            throw Malformed(path, e.Message);
        }
    }

    /// <summary>Writes the config (0600, atomically) after <paramref name="genesis"/> as its copy.</summary>
    public void Save(string path, byte[] genesis)
    {
        Dkms.Wallet.AtomicFile.CreatePrivateDirectory(Path.GetDirectoryName(path)!);
        Dkms.Wallet.AtomicFile.Write(GenesisFile, genesis);
        Dkms.Wallet.AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(this, Json));
    }

    private static CliException Malformed(string path, string why) =>
        CliException.Usage($"the config file {path} is malformed ({why}); set up again with 'dkms config init --genesis FILE --force'");
}
