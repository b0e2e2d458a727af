using System.Security.Cryptography;
using System.Text.Json;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;

namespace Dkms.Node;

/// <summary>
/// The node's Ed25519 key on disk: <c>{"publicKey": hex, "seed": hex}</c>, readable by its owner only.
/// The seed never leaves this class except into the signer, which keeps it.
/// </summary>
public static class NodeKeyFile
{
    private sealed record Content(string PublicKey, string Seed);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Creates a new key file; refuses to overwrite one.</summary>
    public static PublicKey Create(string path)
    {
        if (File.Exists(path)) throw new IOException($"node key file '{path}' already exists; refusing to overwrite it");
        var seed = RandomNumberGenerator.GetBytes(32);
        try
        {
            return Write(path, seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>Writes a key from a given seed (testnet generation derives nothing from it; tests use fixed seeds).</summary>
    public static PublicKey Write(string path, ReadOnlySpan<byte> seed)
    {
        var signer = Ed25519Signer.FromSeed(seed);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var json = JsonSerializer.Serialize(new Content(signer.PublicKey.ToHex(), Convert.ToHexStringLower(seed)), Json);
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(json);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: false);
        return signer.PublicKey;
    }

    public static Ed25519Signer Load(string path)
    {
        if (!File.Exists(path)) throw new NodeConfigurationException($"node key file '{path}' does not exist; create it with `dkms-node init`");
        Content? content;
        try
        {
            content = JsonSerializer.Deserialize<Content>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new NodeConfigurationException($"node key file '{path}' is not valid JSON: {e.Message}");
        }

        byte[] seed;
        try
        {
            seed = Convert.FromHexString(content?.Seed ?? "");
        }
        catch (FormatException)
        {
            throw new NodeConfigurationException($"node key file '{path}' has a malformed seed");
        }

        if (seed.Length != 32) throw new NodeConfigurationException($"node key file '{path}' must hold a 32-byte seed");
        var signer = Ed25519Signer.FromSeed(seed);
        CryptographicOperations.ZeroMemory(seed);
        if (content!.PublicKey is { Length: > 0 } pk && !string.Equals(pk, signer.PublicKey.ToHex(), StringComparison.OrdinalIgnoreCase))
        {
            throw new NodeConfigurationException($"node key file '{path}': the public key does not match the seed");
        }

        return signer;
    }
}

/// <summary>A configuration problem the operator must fix; the message says what and where.</summary>
public sealed class NodeConfigurationException(string message) : Exception(message);
