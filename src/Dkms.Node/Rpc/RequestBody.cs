using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace Dkms.Node.Rpc;

/// <summary>
/// A request body held in one buffer, read once: with a <c>Content-Length</c> the size is checked before anything is
/// read and the buffer is taken at that size (pooled up to <see cref="PooledMax"/>); a chunked body grows its buffer
/// by doubling up to the limit (one buffer at the end; clients that can should send a length). Dispose returns it.
/// </summary>
internal sealed class RequestBody : IDisposable
{
    /// <summary>Bodies up to this size share a bounded pool; larger ones (rare: batches of thousands) are allocated at
    /// their exact size, so the pool never holds many megabytes for good.</summary>
    public const int PooledMax = 1 << 20;

    /// <summary>First buffer of a chunked body.</summary>
    private const int ChunkedStart = 64 * 1024;

    private static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(PooledMax, 32);

    private byte[]? _buffer;

    private RequestBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(RequestBody))).AsMemory(0, Length);

    /// <summary>The body, or null when it is larger than <paramref name="max"/> bytes (a declared length is refused
    /// before any byte is read).</summary>
    public static async Task<RequestBody?> ReadAsync(HttpRequest request, long max, CancellationToken ct)
    {
        max = Math.Min(max, Array.MaxLength - 1);
        if (request.ContentLength is { } declared)
        {
            if (declared > max) return null;
            var buffer = Take((int)declared);
            try
            {
                var filled = 0;
                int n;
                // Kestrel ends a body at its Content-Length and throws when the client stops short.
                while (filled < declared && (n = await request.Body.ReadAsync(buffer.AsMemory(filled, (int)declared - filled), ct).ConfigureAwait(false)) > 0) filled += n;
                return new RequestBody(buffer, filled);
            }
            catch
            {
                Give(buffer);
                throw;
            }
        }

        return await ReadChunkedAsync(request, (int)max, ct).ConfigureAwait(false);
    }

    private static async Task<RequestBody?> ReadChunkedAsync(HttpRequest request, int max, CancellationToken ct)
    {
        var buffer = Take(Math.Min(ChunkedStart, max + 1));
        var filled = 0;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    // One byte past the limit is room enough to see that the body is too large.
                    if (filled > max) break;
                    var larger = Take((int)Math.Min((long)buffer.Length * 2, max + 1L));
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    Give(buffer);
                    buffer = larger;
                }

                var n = await request.Body.ReadAsync(buffer.AsMemory(filled), ct).ConfigureAwait(false);
                if (n == 0) break;
                filled += n;
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's own limit (the same size) stopped the body while reading.
            filled = max + 1;
        }
        catch
        {
            Give(buffer);
            throw;
        }

        if (filled > max)
        {
            Give(buffer);
            return null;
        }

        return new RequestBody(buffer, filled);
    }

    private static byte[] Take(int length) => length <= PooledMax ? Pool.Rent(length) : GC.AllocateUninitializedArray<byte>(length);

    private static void Give(byte[] buffer)
    {
        if (buffer.Length <= PooledMax) Pool.Return(buffer);
    }

    public void Dispose()
    {
        if (_buffer is { } b) Give(b);
        _buffer = null;
    }
}
