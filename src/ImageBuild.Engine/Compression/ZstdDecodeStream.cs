using System.Runtime.InteropServices;

namespace ImageBuild.Engine.Compression;

/// <summary>
/// A read-only stream of the data a zstd stream holds: any number of concatenated frames (skippable ones included),
/// as `zstd -d` accepts them, decoded by the machine's libzstd when it loads, else by ZstdSharp (the choice
/// <see cref="ZstdClusterCompressor"/> makes). Memory is bounded: one 256 KiB native input buffer and the
/// decoder's own window, which libzstd caps at 128 MiB by default (a frame asking for more is refused). Data that is
/// not zstd, is damaged, is empty or ends inside a frame is an <see cref="InvalidDataException"/> with a one-line
/// message that names the data and, for damage, gives zstd's error name (ZSTD_getErrorName).
/// Reads decode straight into the caller's buffer and return once the input read so far is decoded: a read asks the
/// source for more only when it has nothing to return yet (a stalled download never holds back what arrived).
/// </summary>
public sealed unsafe class ZstdDecodeStream : Stream
{
    private const int InputSize = 256 << 10;

    private readonly Stream _source;
    private readonly bool _leaveOpen;
    private readonly IZstdApi _zstd;
    private readonly string _name;
    private nint _dctx;
    private byte* _input;
    private nuint _inputPos;
    private nuint _inputEnd;
    private bool _sourceEnded;
    /// <summary>True between the first byte of a frame being consumed and the frame being complete.</summary>
    private bool _inFrame;
    private bool _sawFrame;
    private bool _ended;

    private ZstdDecodeStream(Stream source, bool leaveOpen, string name, IZstdApi zstd)
    {
        _source = source;
        _leaveOpen = leaveOpen;
        _zstd = zstd;
        _name = name;
        _dctx = zstd.CreateDCtx();
        if (_dctx == 0) throw new InsufficientMemoryException("zstd: cannot allocate a decompression context");
        _input = (byte*)NativeMemory.Alloc(InputSize);
    }

    ~ZstdDecodeStream() => Release();

    /// <summary>Decodes <paramref name="source"/>, read sequentially from where it stands.</summary>
    /// <param name="leaveOpen">false disposes <paramref name="source"/> with this stream.</param>
    /// <param name="name">What the data is, to begin error messages with, e.g. "registry/repo@sha256:…: the layer".</param>
    public static ZstdDecodeStream Open(Stream source, bool leaveOpen, string name = "the zstd data") =>
        Open(source, leaveOpen, name, useNativeZstd: true);

    /// <param name="useNativeZstd">false uses ZstdSharp even where libzstd loads (tests the fallback).</param>
    internal static ZstdDecodeStream Open(Stream source, bool leaveOpen, string name, bool useNativeZstd)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!source.CanRead) throw new ArgumentException("the zstd source is not readable", nameof(source));
        return new ZstdDecodeStream(source, leaveOpen, name, ZstdApis.Select(useNativeZstd));
    }

    /// <summary>True when the machine's libzstd decodes, rather than ZstdSharp.</summary>
    public bool UsesNativeZstd => _zstd is NativeZstdApi;

    public override bool CanRead => _dctx != 0;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException("a zstd stream has no length");
    public override long Position
    {
        get => throw new NotSupportedException("a zstd stream cannot seek");
        set => throw new NotSupportedException("a zstd stream cannot seek");
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override int ReadByte()
    {
        byte b = 0;
        return Read(new Span<byte>(&b, 1)) == 1 ? b : -1;
    }

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_dctx == 0, this);
        if (buffer.IsEmpty || _ended) return 0;
        fixed (byte* output = buffer)
        {
            nuint outputPos = 0, outputSize = (nuint)buffer.Length;
            while (outputPos < outputSize)
            {
                if (_inputPos == _inputEnd && !_sourceEnded)
                {
                    // The decoder has given all it can from the input it had: return that rather than wait for more
                    // (a download that stalls must not hold back the bytes that did arrive).
                    if (outputPos > 0) break;
                    Refill();
                }
                nuint inputBefore = _inputPos, outputBefore = outputPos;
                nuint rc = _zstd.Decompress(_dctx, output, outputSize, ref outputPos, _input, _inputEnd, ref _inputPos);
                if (_zstd.IsError(rc))
                {
                    throw new InvalidDataException($"{_name} is not valid zstd data ({_zstd.ErrorName(rc)})");
                }
                bool progressed = _inputPos != inputBefore || outputPos != outputBefore;
                if (!progressed && _inputPos < _inputEnd)
                    throw new InvalidDataException($"{_name} is not valid zstd data (the decoder makes no progress)");
                if (_inputPos != inputBefore) _sawFrame = true;
                _inFrame = rc != 0 && (_inFrame || _inputPos != inputBefore);
                if (!progressed && _sourceEnded)
                {
                    // Nothing left to read and the decoder has nothing more to give.
                    if (_inFrame) throw new InvalidDataException($"{_name} ends early (truncated zstd stream)");
                    if (!_sawFrame) throw new InvalidDataException($"{_name} is empty (no zstd frame)");
                    _ended = true;
                    break;
                }
            }
            return (int)outputPos;
        }
    }

    private void Refill()
    {
        int n = _source.Read(new Span<byte>(_input, InputSize));
        _inputPos = 0;
        _inputEnd = (nuint)n;
        _sourceEnded = n == 0;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("a zstd stream cannot seek");
    public override void SetLength(long value) => throw new NotSupportedException("a zstd stream is read-only");
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("a zstd stream is read-only");

    protected override void Dispose(bool disposing)
    {
        if (disposing && _dctx != 0 && !_leaveOpen) _source.Dispose();
        Release();
        if (disposing) GC.SuppressFinalize(this);
        base.Dispose(disposing);
    }

    /// <summary>Frees the context and the input buffer, once.</summary>
    private void Release()
    {
        if (_dctx != 0)
        {
            _zstd.FreeDCtx(_dctx);
            _dctx = 0;
        }
        if (_input != null)
        {
            NativeMemory.Free(_input);
            _input = null;
        }
    }
}
