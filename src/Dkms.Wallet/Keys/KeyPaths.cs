using System.Globalization;

namespace Dkms.Wallet.Keys;

/// <summary>
/// The labelled derivation paths of the key hierarchy. Every key is HKDF-SHA256(master secret,
/// salt "dkms/v1", info = path) so a path names exactly one key and restoring the master secret
/// restores every key. Paths are versioned ("v1") so a future scheme cannot collide with this one.
/// </summary>
public static class KeyPaths
{
    public const string Root = "dkms/v1";

    /// <summary>Signing key <paramref name="index"/> of rotation <paramref name="rotation"/> of the wallet's identity number <paramref name="identity"/>.</summary>
    public static string Signing(int identity, int rotation, int index) =>
        Format($"{Root}/identity/{identity}/signing/{rotation}/{index}", identity, rotation, index);

    /// <summary>The agent key called <paramref name="agent"/> (a name or a decimal index) of an identity.</summary>
    public static string Agent(int identity, string agent)
    {
        if (string.IsNullOrEmpty(agent) || agent.Contains('/') || agent.Length > 64)
        {
            throw new ArgumentException("an agent name is 1..64 characters without '/'", nameof(agent));
        }

        return Format($"{Root}/identity/{identity}/agent/{agent}", identity);
    }

    /// <summary>X25519 key-agreement key <paramref name="index"/> of an identity.</summary>
    public static string KeyAgreement(int identity, int index) =>
        Format($"{Root}/identity/{identity}/key-agreement/{index}", identity, index);

    /// <summary>Key-encrypting key <paramref name="name"/> at <paramref name="version"/> (envelope encryption).</summary>
    public static string Kek(string name, int version)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('/') || name.Length > 64)
        {
            throw new ArgumentException("a KEK name is 1..64 characters without '/'", nameof(name));
        }

        return Format($"{Root}/kek/{name}/{version}", version);
    }

    private static string Format(FormattableString path, params int[] numbers)
    {
        if (numbers.Any(n => n < 0)) throw new ArgumentOutOfRangeException(nameof(numbers), "path numbers are non-negative");
        return path.ToString(CultureInfo.InvariantCulture);
    }
}
