using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace Dkms.Node.Rpc;

/// <summary>
/// The bearer token that methods changing state require (<see cref="RpcOptions.TokenFile"/>). Only its SHA-256 is
/// kept, and a presented token is compared by hash in constant time, so neither its content nor its length shows in
/// the time an answer takes. The token is never logged.
/// </summary>
public sealed class RpcToken
{
    /// <summary>Shortest token accepted: a guessable token would protect nothing.</summary>
    public const int MinLength = 16;

    private readonly byte[] _hash;

    private RpcToken(byte[] hash) => _hash = hash;

    /// <summary>The token of <paramref name="file"/> (its first line, trimmed), or a configuration error naming the file
    /// and what is wrong — never the content.</summary>
    public static RpcToken FromFile(string file)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NodeConfigurationException($"RPC token file '{file}' cannot be read: {e.Message}");
        }

        var line = text.Split('\n', 2)[0].Trim();
        if (line.Length < MinLength) throw new NodeConfigurationException($"RPC token file '{file}' holds no token of at least {MinLength} characters on its first line");
        return new RpcToken(SHA256.HashData(Encoding.UTF8.GetBytes(line)));
    }

    /// <summary>Whether <paramref name="authorization"/> (the request's <c>Authorization</c> header) carries this token.</summary>
    public bool Matches(StringValues authorization)
    {
        if (authorization.Count != 1 || authorization[0] is not { } header) return false;
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header.AsSpan(scheme.Length).Trim().ToString()));
        return CryptographicOperations.FixedTimeEquals(presented, _hash);
    }
}
