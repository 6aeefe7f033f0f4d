using System.Collections.Concurrent;
using ZstdSharp.Unsafe;

namespace ImageBuild.Engine.Compression;

/// <summary>
/// qcow2 compression_type 1 ("zstd"): each cluster is one zstd frame. Like qemu's qcow2_zstd_compress, a fresh
/// context with default parameters (level 3, no checksum) compresses the whole cluster with one
/// ZSTD_compressStream2(ZSTD_e_end) pass, which records the content size in the frame header; output that does not
/// fit in cluster-1 bytes means "not compressible". Reading mirrors qcow2_zstd_decompress: streaming decompression
/// until exactly one cluster is produced and the frame is complete; bytes after the frame are ignored.
/// Contexts are pooled per instance so worker threads can share it.
/// </summary>
public sealed unsafe class ZstdClusterCompressor : ClusterCompressor
{
    /// <summary>ZSTD_CLEVEL_DEFAULT, what qemu's default context compresses at.</summary>
    public const int DefaultLevel = 3;

    private readonly int _level;
    private readonly ConcurrentBag<Ctx> _cctxs = [];
    private readonly ConcurrentBag<Ctx> _dctxs = [];

    public ZstdClusterCompressor(int level = DefaultLevel)
    {
        if (level is < -7 or > 22) throw new ArgumentOutOfRangeException(nameof(level), level, "zstd level must be -7..22");
        _level = level;
    }

    public override ClusterCompressionType Type => ClusterCompressionType.Zstd;

    protected override int CompressCore(ReadOnlySpan<byte> cluster, Span<byte> dest)
    {
        var ctx = _cctxs.TryTake(out var c) ? c : Ctx.NewCompressor(_level);
        try
        {
            var cctx = (ZSTD_CCtx_s*)ctx.Pointer;
            Methods.ZSTD_CCtx_reset(cctx, ZSTD_ResetDirective.ZSTD_reset_session_only);
            fixed (byte* pin = cluster)
            fixed (byte* pout = dest)
            {
                var input = new ZSTD_inBuffer_s { src = pin, size = (nuint)cluster.Length, pos = 0 };
                var output = new ZSTD_outBuffer_s { dst = pout, size = (nuint)dest.Length, pos = 0 };
                while (true)
                {
                    nuint remaining = Methods.ZSTD_compressStream2(cctx, &output, &input, ZSTD_EndDirective.ZSTD_e_end);
                    if (Methods.ZSTD_isError(remaining))
                    {
                        if (IsDstTooSmall(remaining)) return -1;
                        throw new ImageException($"zstd compression failed: {ErrorName(remaining)}");
                    }
                    if (remaining == 0) return (int)output.pos;
                    if (output.pos + remaining > output.size) return -1; // the rest of the frame cannot fit
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
        var ctx = _dctxs.TryTake(out var c) ? c : Ctx.NewDecompressor();
        try
        {
            var dctx = (ZSTD_DCtx_s*)ctx.Pointer;
            Methods.ZSTD_DCtx_reset(dctx, ZSTD_ResetDirective.ZSTD_reset_session_only);
            fixed (byte* pin = src)
            fixed (byte* pout = cluster)
            {
                var input = new ZSTD_inBuffer_s { src = pin, size = (nuint)src.Length, pos = 0 };
                var output = new ZSTD_outBuffer_s { dst = pout, size = (nuint)cluster.Length, pos = 0 };
                nuint rc = 0;
                while (output.pos < output.size)
                {
                    nuint inBefore = input.pos, outBefore = output.pos;
                    rc = Methods.ZSTD_decompressStream(dctx, &output, &input);
                    if (Methods.ZSTD_isError(rc)) return false;
                    if (input.pos == inBefore && output.pos == outBefore) return false; // no progress: input exhausted or frame ended early
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

    private static bool IsDstTooSmall(nuint code) => Methods.ZSTD_getErrorCode(code) == ZSTD_ErrorCode.ZSTD_error_dstSize_tooSmall;

    private static string ErrorName(nuint code) => Methods.ZSTD_getErrorName(code);

    /// <summary>One native zstd context, freed by its finalizer when the pool that holds it is collected.</summary>
    private sealed class Ctx
    {
        private readonly bool _compressor;
        public void* Pointer { get; }

        private Ctx(void* pointer, bool compressor)
        {
            Pointer = pointer;
            _compressor = compressor;
        }

        public static Ctx NewCompressor(int level)
        {
            var cctx = Methods.ZSTD_createCCtx();
            if (cctx == null) throw new ImageException("zstd: cannot allocate a compression context");
            if (level != DefaultLevel)
                Methods.ZSTD_CCtx_setParameter(cctx, ZSTD_cParameter.ZSTD_c_compressionLevel, level);
            return new Ctx(cctx, true);
        }

        public static Ctx NewDecompressor()
        {
            var dctx = Methods.ZSTD_createDCtx();
            if (dctx == null) throw new ImageException("zstd: cannot allocate a decompression context");
            return new Ctx(dctx, false);
        }

        ~Ctx()
        {
            if (_compressor) Methods.ZSTD_freeCCtx((ZSTD_CCtx_s*)Pointer);
            else Methods.ZSTD_freeDCtx((ZSTD_DCtx_s*)Pointer);
        }
    }
}
