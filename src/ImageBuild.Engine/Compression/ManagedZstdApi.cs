using ZstdSharp.Unsafe;

namespace ImageBuild.Engine.Compression;

/// <summary><see cref="IZstdApi"/> over ZstdSharp, a C# port of zstd: used where libzstd cannot be loaded.</summary>
internal sealed unsafe class ManagedZstdApi : IZstdApi
{
    public static readonly ManagedZstdApi Instance = new();

    public nint CreateCCtx() => (nint)Methods.ZSTD_createCCtx();
    public void FreeCCtx(nint cctx) => Methods.ZSTD_freeCCtx((ZSTD_CCtx_s*)cctx);
    public void SetLevel(nint cctx, int level) =>
        Methods.ZSTD_CCtx_setParameter((ZSTD_CCtx_s*)cctx, ZSTD_cParameter.ZSTD_c_compressionLevel, level);
    public void ResetCCtx(nint cctx) => Methods.ZSTD_CCtx_reset((ZSTD_CCtx_s*)cctx, ZSTD_ResetDirective.ZSTD_reset_session_only);

    public nuint CompressEnd(nint cctx, byte* dst, nuint dstSize, ref nuint dstPos, byte* src, nuint srcSize, ref nuint srcPos)
    {
        var output = new ZSTD_outBuffer_s { dst = dst, size = dstSize, pos = dstPos };
        var input = new ZSTD_inBuffer_s { src = src, size = srcSize, pos = srcPos };
        nuint rc = Methods.ZSTD_compressStream2((ZSTD_CCtx_s*)cctx, &output, &input, ZSTD_EndDirective.ZSTD_e_end);
        (dstPos, srcPos) = (output.pos, input.pos);
        return rc;
    }

    public nint CreateDCtx() => (nint)Methods.ZSTD_createDCtx();
    public void FreeDCtx(nint dctx) => Methods.ZSTD_freeDCtx((ZSTD_DCtx_s*)dctx);
    public void ResetDCtx(nint dctx) => Methods.ZSTD_DCtx_reset((ZSTD_DCtx_s*)dctx, ZSTD_ResetDirective.ZSTD_reset_session_only);

    public nuint Decompress(nint dctx, byte* dst, nuint dstSize, ref nuint dstPos, byte* src, nuint srcSize, ref nuint srcPos)
    {
        var output = new ZSTD_outBuffer_s { dst = dst, size = dstSize, pos = dstPos };
        var input = new ZSTD_inBuffer_s { src = src, size = srcSize, pos = srcPos };
        nuint rc = Methods.ZSTD_decompressStream((ZSTD_DCtx_s*)dctx, &output, &input);
        (dstPos, srcPos) = (output.pos, input.pos);
        return rc;
    }

    public bool IsError(nuint code) => Methods.ZSTD_isError(code);
    public bool IsDstTooSmall(nuint code) => Methods.ZSTD_getErrorCode(code) == ZSTD_ErrorCode.ZSTD_error_dstSize_tooSmall;
    public string ErrorName(nuint code) => Methods.ZSTD_getErrorName(code);
}
