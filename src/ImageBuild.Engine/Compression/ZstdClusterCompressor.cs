using System.Collections.Concurrent;

namespace ImageBuild.Engine.Compression;

/// <summary>
/// qcow2 compression_type 1 ("zstd"): each cluster is one zstd frame. Like qemu's qcow2_zstd_compress, a fresh
/// context with default parameters (level 3, no checksum) compresses the whole cluster with one
/// ZSTD_compressStream2(ZSTD_e_end) pass, which records the content size in the frame header; output that does not
/// fit in cluster-1 bytes means "not compressible". Reading mirrors qcow2_zstd_decompress: streaming decompression
/// until exactly one cluster is produced and the frame is complete; bytes after the frame are ignored.
/// The machine's libzstd does the work when it loads (the library qemu links, so our clusters are qemu's byte for
/// byte), else the ZstdSharp port. Contexts are pooled per instance so worker threads can share it.
/// </summary>
public sealed unsafe class ZstdClusterCompressor : ClusterCompressor
{
    /// <summary>ZSTD_CLEVEL_DEFAULT, what qemu's default context compresses at.</summary>
    public const int DefaultLevel = 3;

    private readonly int _level;
    private readonly IZstdApi _zstd;
    private readonly ConcurrentBag<Context> _cctxs = [];
    private readonly ConcurrentBag<Context> _dctxs = [];

    public ZstdClusterCompressor(int level = DefaultLevel) : this(level, useNativeZstd: true) { }

    /// <param name="level">zstd level: -7..22.</param>
    /// <param name="useNativeZstd">false uses ZstdSharp even where libzstd loads (tests the fallback).</param>
    internal ZstdClusterCompressor(int level, bool useNativeZstd)
    {
        if (level is < -7 or > 22) throw new ArgumentOutOfRangeException(nameof(level), level, "zstd level must be -7..22");
        _level = level;
        _zstd = ZstdApis.Select(useNativeZstd);
    }

    public override ClusterCompressionType Type => ClusterCompressionType.Zstd;

    public override CompressionScheme Scheme => CompressionScheme.QemuZstd;

    /// <summary>True when this instance uses the machine's libzstd rather than ZstdSharp.</summary>
    public bool UsesNativeZstd => _zstd is NativeZstdApi;

    protected override int CompressCore(ReadOnlySpan<byte> cluster, Span<byte> dest)
    {
        var ctx = _cctxs.TryTake(out var c) ? c : NewCompressor();
        try
        {
            _zstd.ResetCCtx(ctx.Pointer);
            fixed (byte* pin = cluster)
            fixed (byte* pout = dest)
            {
                nuint inPos = 0, outPos = 0;
                while (true)
                {
                    nuint remaining = _zstd.CompressEnd(ctx.Pointer, pout, (nuint)dest.Length, ref outPos, pin, (nuint)cluster.Length, ref inPos);
                    if (_zstd.IsError(remaining))
                    {
                        if (_zstd.IsDstTooSmall(remaining)) return -1;
                        throw new ImageException($"zstd compression failed: {_zstd.ErrorName(remaining)}");
                    }
                    if (remaining == 0) return (int)outPos;
                    if (outPos + remaining > (nuint)dest.Length) return -1; // the rest of the frame cannot fit
                }
            }
        }
        finally
        {
            _cctxs.Add(ctx);
        }
    }

    public override bool TryDecompress(ReadOnlySpan<byte> src, Span<byte> cluster)
    {
        var ctx = _dctxs.TryTake(out var c) ? c : NewDecompressor();
        try
        {
            _zstd.ResetDCtx(ctx.Pointer);
            fixed (byte* pin = src)
            fixed (byte* pout = cluster)
            {
                nuint inPos = 0, outPos = 0, rc = 0;
                while (outPos < (nuint)cluster.Length)
                {
                    nuint inBefore = inPos, outBefore = outPos;
                    rc = _zstd.Decompress(ctx.Pointer, pout, (nuint)cluster.Length, ref outPos, pin, (nuint)src.Length, ref inPos);
                    if (_zstd.IsError(rc)) return false;
                    if (inPos == inBefore && outPos == outBefore) return false; // no progress: input exhausted or frame ended early
                }
                // As in qemu, the frame must be complete once the cluster is full: a frame that would produce more
                // output (or is still missing its end) is damaged.
                return rc == 0;
            }
        }
        finally
        {
            _dctxs.Add(ctx);
        }
    }

    private Context NewCompressor()
    {
        nint cctx = _zstd.CreateCCtx();
        if (cctx == 0) throw new ImageException("zstd: cannot allocate a compression context");
        var ctx = new Context(_zstd, cctx, compressor: true);
        if (_level != DefaultLevel) _zstd.SetLevel(cctx, _level);
        return ctx;
    }

    private Context NewDecompressor()
    {
        nint dctx = _zstd.CreateDCtx();
        if (dctx == 0) throw new ImageException("zstd: cannot allocate a decompression context");
        return new Context(_zstd, dctx, compressor: false);
    }

    /// <summary>One zstd context, freed by its finalizer when the pool that holds it is collected.</summary>
    private sealed class Context(IZstdApi zstd, nint pointer, bool compressor)
    {
        public nint Pointer { get; } = pointer;

        ~Context()
        {
            if (compressor) zstd.FreeCCtx(Pointer);
            else zstd.FreeDCtx(Pointer);
        }
    }
}
