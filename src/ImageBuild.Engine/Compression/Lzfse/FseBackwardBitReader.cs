using System.Buffers.Binary;

namespace ImageBuild.Engine.Compression.Lzfse;

/// <summary>
/// Reads an FSE bit stream, which the encoder wrote forwards and the decoder consumes from its last byte towards its
/// first: a 64-bit accumulator whose most significant valid bits are the next to be pulled, refilled a whole number
/// of bytes at a time from below the current position. Never reads outside its payload.
/// </summary>
internal ref struct FseBackwardBitReader
{
    private readonly ReadOnlySpan<byte> _payload;
    private readonly long _blockOffset;
    private int _position;
    private ulong _accumulator;
    private int _bitCount;

    /// <summary>
    /// Starts at the end of <paramref name="payload"/>. <paramref name="finalBits"/> (-7..0, from the header) is minus
    /// the number of high bits of the last byte the encoder left unused: 0 means the last 7 bytes are all payload,
    /// otherwise the last 8 bytes hold 64 + finalBits valid bits. The unused high bits must be zero.
    /// </summary>
    public FseBackwardBitReader(ReadOnlySpan<byte> payload, int finalBits, long blockOffset, string streamName)
    {
        _payload = payload;
        _blockOffset = blockOffset;
        int initialBytes = finalBits == 0 ? 7 : 8;
        if (payload.Length < initialBytes)
            throw LzfseError.InBlock(blockOffset, $"{streamName} payload of {payload.Length} bytes is shorter than its first {initialBytes}-byte read");
        _position = payload.Length - initialBytes;
        _accumulator = ReadLittleEndian(payload.Slice(_position, initialBytes));
        _bitCount = initialBytes * 8 + finalBits;
        if (_bitCount is < 56 or > 63 || _accumulator >> _bitCount != 0)
            throw LzfseError.InBlock(blockOffset, $"{streamName} stream's final bits ({finalBits}) do not match its last bytes");
    }

    /// <summary>
    /// Refills the accumulator to at least 56 valid bits, or with all that is left near the payload's start (the
    /// last symbols need fewer bits than a full refill would bring).
    /// </summary>
    public void Refill()
    {
        int bytes = Math.Min((63 - _bitCount) >> 3, _position);
        if (bytes == 0)
            return;
        _position -= bytes;
        _accumulator = (_accumulator << (bytes * 8)) | ReadLittleEndian(_payload.Slice(_position, bytes));
        _bitCount += bytes * 8;
    }

    /// <summary>Takes the next <paramref name="count"/> bits (at most 56 per refill); an error if the payload has run out.</summary>
    public int Pull(int count)
    {
        if (count > _bitCount)
            throw LzfseError.InBlock(_blockOffset, "bit stream runs past the start of its payload");
        _bitCount -= count;
        ulong value = _accumulator >> _bitCount;
        _accumulator &= (1UL << _bitCount) - 1;
        return (int)value;
    }

    private static ulong ReadLittleEndian(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 8)
            return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        ulong value = 0;
        for (int i = bytes.Length - 1; i >= 0; i--)
            value = (value << 8) | bytes[i];
        return value;
    }
}
