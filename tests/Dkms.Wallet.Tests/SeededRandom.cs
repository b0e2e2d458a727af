using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Dkms.Wallet.Tests;

/// <summary>A deterministic random source for tests: SHA-256 in counter mode over a fixed seed.</summary>
internal sealed class SeededRandom(int seed) : IRandomSource
{
    private ulong _counter;

    public void Fill(Span<byte> destination)
    {
        Span<byte> input = stackalloc byte[12];
        Span<byte> block = stackalloc byte[32];
        while (!destination.IsEmpty)
        {
            BinaryPrimitives.WriteInt32BigEndian(input, seed);
            BinaryPrimitives.WriteUInt64BigEndian(input[4..], _counter++);
            SHA256.HashData(input, block);
            var n = Math.Min(block.Length, destination.Length);
            block[..n].CopyTo(destination);
            destination = destination[n..];
        }
    }
}
