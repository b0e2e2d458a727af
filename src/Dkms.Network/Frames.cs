using System.Buffers;
using System.Buffers.Binary;

namespace Dkms.Network;

/// <summary>
/// Frames [channel u8][length u32 BE][payload], written after room for the sealed header and with room for the
/// tag behind them, so <see cref="SecureSession.Seal"/> works in place. Several small messages share one
/// LiteNetLib message (and so one UDP datagram or one fragment run); a large message travels alone in its batch
/// and LiteNetLib fragments it.
/// </summary>
internal sealed class BatchWriter : IDisposable
{
    public const int FrameHeaderSize = 5;

    private byte[] _buffer;

    public BatchWriter(int initialCapacity = 64 * 1024)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
        Reset();
    }

    /// <summary>Bytes written, including the room for the sealed header.</summary>
    public int Length { get; private set; }

    public int FrameCount { get; private set; }

    /// <summary>The frames written so far.</summary>
    public ReadOnlySpan<byte> Frames => _buffer.AsSpan(SecureSession.HeaderSize, Length - SecureSession.HeaderSize);

    /// <summary>Header room, frames and room for the tag: what <see cref="SecureSession.Seal"/> works on.</summary>
    public byte[] Buffer => _buffer;

    public void Reset()
    {
        Length = SecureSession.HeaderSize;
        FrameCount = 0;
    }

    public void Add(PeerChannel channel, ReadOnlySpan<byte> payload)
    {
        var need = Length + FrameHeaderSize + payload.Length;
        if (need + SecureSession.TagSize > _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(need + SecureSession.TagSize, _buffer.Length * 2));
            _buffer.AsSpan(0, Length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }

        _buffer[Length] = (byte)channel;
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(Length + 1), (uint)payload.Length);
        payload.CopyTo(_buffer.AsSpan(Length + FrameHeaderSize));
        Length = need;
        FrameCount++;
    }

    /// <summary>Gives a grown buffer back to the pool once a big message has gone, keeping the usual size.</summary>
    public void Shrink(int keep)
    {
        if (_buffer.Length <= keep * 2) return;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = ArrayPool<byte>.Shared.Rent(keep);
        Reset();
    }

    public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);
}

internal readonly record struct Frame(PeerChannel Channel, byte[] Payload);

/// <summary>What a batch held: the good frames, and how many were malformed or oversized (dropped).</summary>
internal readonly record struct BatchContents(List<Frame> Frames, int Malformed, int Oversized);

internal static class BatchReader
{
    /// <summary>
    /// Splits the opened frames of a batch. A frame with an unknown channel or a length above
    /// <paramref name="maxMessageBytes"/> is skipped alone; a length running past the end spoils the rest.
    /// </summary>
    public static BatchContents Read(ReadOnlySpan<byte> batch, int maxMessageBytes)
    {
        var frames = new List<Frame>();
        int malformed = 0, oversized = 0;
        if (batch.Length < BatchWriter.FrameHeaderSize) return new(frames, 1, 0);

        var rest = batch;
        while (rest.Length > 0)
        {
            if (rest.Length < BatchWriter.FrameHeaderSize)
            {
                malformed++;
                break;
            }

            var channel = rest[0];
            var length = BinaryPrimitives.ReadUInt32BigEndian(rest[1..]);
            if (length > (uint)(rest.Length - BatchWriter.FrameHeaderSize))
            {
                malformed++;
                break;
            }

            var payload = rest.Slice(BatchWriter.FrameHeaderSize, (int)length);
            rest = rest[(BatchWriter.FrameHeaderSize + (int)length)..];
            if (length > (uint)maxMessageBytes) oversized++;
            else if (channel > (byte)PeerChannel.Mempool) malformed++;
            else frames.Add(new Frame((PeerChannel)channel, payload.ToArray()));
        }

        return new(frames, malformed, oversized);
    }
}
