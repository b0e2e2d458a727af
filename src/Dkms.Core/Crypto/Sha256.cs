using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Dkms.Core.Crypto;

/// <summary>
/// SHA-256 for the many short inputs of the ledger and consensus (tree nodes of 65 bytes, transaction
/// bytes of a few hundred). <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/> costs ≈ 0.7 µs
/// for a 65-byte input on this project's machines, almost all of it per-call set-up in OpenSSL's EVP layer
/// (fetching the algorithm, allocating and freeing a context); the compression itself, with the CPU's SHA
/// instructions, is ≈ 0.1 µs. So short inputs go straight to OpenSSL's SHA256_Init/Update/Final on a context
/// on the stack (the same libcrypto .NET itself uses on Linux), ≈ 7 × faster. Anything else — long inputs,
/// a platform without libcrypto 3, or a library that fails the known-answer check at start-up — goes
/// through <see cref="SHA256"/>. Both paths give the same digest; only the cost differs.
/// </summary>
public static class Sha256
{
    /// <summary>Inputs up to this length take the direct path. The call runs without a GC transition (it
    /// cannot be suspended), so it must stay short: 16 KiB hash in ≈ 10 µs.</summary>
    public const int DirectPathMaxLength = 16 * 1024;

    // OpenSSL's SHA256_CTX is 112 bytes; the extra room costs nothing.
    private const int ContextSize = 128;

    /// <summary>True when short inputs use the direct libcrypto path (false: every input goes through <see cref="SHA256"/>).</summary>
    public static bool DirectPathAvailable { get; } = ProbeDirectPath();

    public static void HashData(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (DirectPathAvailable && data.Length <= DirectPathMaxLength)
        {
            HashDirect(data, destination);
        }
        else
        {
            SHA256.HashData(data, destination);
        }
    }

    /// <summary>The direct path alone (tests compare it with <see cref="SHA256"/>); only call it when
    /// <see cref="DirectPathAvailable"/>.</summary>
    internal static void HashDirect(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (destination.Length < 32) throw new ArgumentException("a SHA-256 digest needs 32 bytes", nameof(destination));
        Span<byte> context = stackalloc byte[ContextSize];
        // An empty span's reference may be null; the library reads nothing for a zero length but gets a valid pointer.
        Span<byte> none = stackalloc byte[1];
        ref var input = ref MemoryMarshal.GetReference(data.IsEmpty ? none : data);
        if (NativeMethods.SHA256_Init(ref MemoryMarshal.GetReference(context)) != 1
            || NativeMethods.SHA256_Update(ref MemoryMarshal.GetReference(context), ref input, (nuint)data.Length) != 1
            || NativeMethods.SHA256_Final(ref MemoryMarshal.GetReference(destination), ref MemoryMarshal.GetReference(context)) != 1)
        {
            // Not expected once the start-up check passed; never return a wrong digest.
            SHA256.HashData(data, destination);
        }
    }

    /// <summary>Loads the functions and checks them against <see cref="SHA256"/> on inputs that cover the
    /// padding cases (empty, one block, the 55/56/64-byte boundaries, several blocks).</summary>
    private static bool ProbeDirectPath()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            Span<byte> expected = stackalloc byte[32];
            Span<byte> actual = stackalloc byte[32];
            var input = new byte[300];
            for (var i = 0; i < input.Length; i++) input[i] = (byte)(i * 31 + 7);
            foreach (var length in (ReadOnlySpan<int>)[0, 1, 3, 55, 56, 63, 64, 65, 119, 128, 300])
            {
                SHA256.HashData(input.AsSpan(0, length), expected);
                HashDirect(input.AsSpan(0, length), actual);
                if (!actual.SequenceEqual(expected)) return false;
            }

            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }

    private static class NativeMethods
    {
        private const string Library = "libcrypto.so.3";

        // SuppressGCTransition: each call is tens of nanoseconds and never blocks or calls back.
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code for no gain with these blittable signatures
        [DllImport(Library, ExactSpelling = true), SuppressGCTransition, DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int SHA256_Init(ref byte context);

        [DllImport(Library, ExactSpelling = true), SuppressGCTransition, DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int SHA256_Update(ref byte context, ref byte data, nuint length);

        [DllImport(Library, ExactSpelling = true), SuppressGCTransition, DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int SHA256_Final(ref byte digest, ref byte context);
#pragma warning restore SYSLIB1054
    }
}
