using System.Security.Cryptography;
using System.Text.Json;
using Dkms.Core.Crypto;

namespace Dkms.Adversary;

/// <summary>Reads a node key file as `dkms-node init` writes it: <c>{"publicKey": hex, "seed": hex}</c>.</summary>
public static class KeyFile
{
    private sealed record Content(string? PublicKey, string? Seed);

    public static Ed25519Signer Load(string path)
    {
        var content = JsonSerializer.Deserialize<Content>(File.ReadAllText(path), new JsonSerializerOptions(JsonSerializerDefaults.Web))
            ?? throw new ArgumentException($"key file '{path}' is empty");
        var seed = Convert.FromHexString(content.Seed ?? "");
        try
        {
            if (seed.Length != 32) throw new ArgumentException($"key file '{path}' must hold a 32-byte seed");
            var signer = Ed25519Signer.FromSeed(seed);
            if (content.PublicKey is { Length: > 0 } pk && !string.Equals(pk, signer.PublicKey.ToHex(), StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"key file '{path}': the public key does not match the seed");
            }

            return signer;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }
}
