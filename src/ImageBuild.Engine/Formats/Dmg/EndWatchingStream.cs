namespace ImageBuild.Engine.Formats.Dmg;

/// <summary>
/// A chunk's stored bytes as a read-only stream that notes whether a reader asked for more after the last byte.
/// .NET's ZLibStream (zlib-ng, faster than the system's zlib) treats running out of input as the end of the
/// stream; a zlib stream that ends of itself is never read past, so a read at the end marks a stream cut short
/// (whose verdict is then left to the system's zlib, as qemu's).
/// </summary>
internal sealed unsafe class EndWatchingStream(byte* data, int length) : Stream
{
    private int _position;

    /// <summary>Whether a read found no bytes left.</summary>
    public bool ReadPastEnd { get; private set; }

    public override int Read(Span<byte> buffer)
    {
        int n = Math.Min(buffer.Length, length - _position);
        if (n <= 0 && buffer.Length > 0)
        {
            ReadPastEnd = true;
            return 0;
        }
        new ReadOnlySpan<byte>(data + _position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
