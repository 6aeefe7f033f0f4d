namespace ImageBuild.Packaging.Compression;

/// <summary>
/// The write-only <see cref="Stream"/> shape every compressor shares: bytes written are compressed into
/// <see cref="Output"/>; <see cref="Stream.Dispose()"/> ends the compressed stream (unless a write failed, when the
/// output is left unfinished so nothing can mistake it for complete) and disposes the output unless asked not to.
/// </summary>
internal abstract class CompressingStream : Stream
{
    private readonly bool _leaveOpen;
    private bool _disposed;
    private bool _failed;

    protected CompressingStream(Stream output, bool leaveOpen)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!output.CanWrite) throw new ArgumentException("the output stream is not writable", nameof(output));
        Output = output;
        _leaveOpen = leaveOpen;
    }

    protected Stream Output { get; }

    /// <summary>Compresses <paramref name="buffer"/> (called only with a non-empty span, before the end).</summary>
    protected abstract void WriteCore(ReadOnlySpan<byte> buffer);

    /// <summary>Compresses what is still buffered and writes the end of the stream.</summary>
    protected abstract void Finish();

    /// <summary>Frees native and pooled resources; called once, after <see cref="Finish"/> or after a failure.</summary>
    protected abstract void Release();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => !_disposed;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Does nothing: a compressed stream is only flushed at its end, so flushing cannot change the bytes.</summary>
    public override void Flush() { }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    public override void WriteByte(byte value) => Write([value]);

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failed) throw new InvalidOperationException("an earlier write to this compressed stream failed");
        if (buffer.IsEmpty) return;
        try
        {
            WriteCore(buffer);
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    /// <summary>
    /// Marks the stream as failed, so that disposing it releases everything without writing the end: for callers that
    /// stop (cancelled, or their input failed) and will delete the output.
    /// </summary>
    public void Abort() => _failed = true;

    protected override void Dispose(bool disposing)
    {
        if (_disposed || !disposing)
        {
            base.Dispose(disposing);
            return;
        }
        _disposed = true;
        try
        {
            if (!_failed) Finish();
        }
        finally
        {
            Release();
            if (!_leaveOpen) Output.Dispose();
            base.Dispose(disposing);
        }
    }
}
