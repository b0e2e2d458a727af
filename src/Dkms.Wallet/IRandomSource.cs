using System.Security.Cryptography;

namespace Dkms.Wallet;

/// <summary>Where the library's randomness comes from; injected so tests can be deterministic.</summary>
public interface IRandomSource
{
    void Fill(Span<byte> destination);
}

/// <summary>The operating system CSPRNG: the only source production code should use.</summary>
public sealed class SystemRandomSource : IRandomSource
{
    public static readonly SystemRandomSource Instance = new();

    private SystemRandomSource()
    {
    }

    public void Fill(Span<byte> destination) => RandomNumberGenerator.Fill(destination);
}
