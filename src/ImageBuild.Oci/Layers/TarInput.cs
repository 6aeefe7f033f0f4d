namespace ImageBuild.Oci.Layers;

/// <summary>
/// Sequential reads of an uncompressed tar stream through a bounded buffer; a stream that ends early is an
/// <see cref="InvalidDataException"/> naming the layer, never an EndOfStreamException.
/// </summary>
internal sealed class TarInput
{
    private readonly Stream _stream;
    private readonly string _source;

    public TarInput(Stream stream, string source)
    {
        _stream = new BufferedStream(stream, 1 << 20);
        _source = source;
    }

    /// <summary>Fills the buffer, or returns false when the stream ends before its first byte.</summary>
    public bool TryReadBlock(Span<byte> block)
    {
        int got = _stream.ReadAtLeast(block, block.Length, throwOnEndOfStream: false);
        if (got == 0) return false;
        if (got < block.Length) throw Truncated();
        return true;
    }

    public void ReadExactly(Span<byte> buffer)
    {
        if (_stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) < buffer.Length) throw Truncated();
    }

    /// <summary>One byte, the stream being required to have it.</summary>
    public byte ReadByte()
    {
        int b = _stream.ReadByte();
        return b < 0 ? throw Truncated() : (byte)b;
    }

    public void Skip(long count)
    {
        Span<byte> scratch = stackalloc byte[TarHeader.BlockSize];
        while (count > 0)
        {
            int n = (int)Math.Min(scratch.Length, count);
            ReadExactly(scratch[..n]);
            count -= n;
        }
    }

    /// <summary>Reads to the end of the stream; anything but zero bytes there is trailing garbage.</summary>
    public void RequireZerosToEnd()
    {
        byte[] buffer = new byte[64 << 10];
        int n;
        while ((n = _stream.Read(buffer)) > 0)
            if (buffer.AsSpan(0, n).ContainsAnyExcept((byte)0))
                throw new InvalidDataException($"{_source}: the layer has data after the end of its tar archive");
    }

    public InvalidDataException Truncated() => new($"{_source}: the layer ends early (truncated tar stream)");
}
