namespace ImageBuild.Engine.Compression;

/// <summary><see cref="IZstdApi"/> over the machine's libzstd.</summary>
internal sealed unsafe class NativeZstdApi : IZstdApi
{
    public static readonly NativeZstdApi Instance = new();

    public nint CreateCCtx() => ZstdLibrary.CreateCCtx();
    public void FreeCCtx(nint cctx) => ZstdLibrary.FreeCCtx(cctx);
    public void SetLevel(nint cctx, int level) => ZstdLibrary.CCtxSetParameter(cctx, ZstdLibrary.CompressionLevelParameter, level);
    public void ResetCCtx(nint cctx) => ZstdLibrary.CCtxReset(cctx, ZstdLibrary.ResetSessionOnly);

    public nuint CompressEnd(nint cctx, byte* dst, nuint dstSize, ref nuint dstPos, byte* src, nuint srcSize, ref nuint srcPos)
    {
        var output = new ZstdLibrary.OutBuffer { Dst = dst, Size = dstSize, Pos = dstPos };
        var input = new ZstdLibrary.InBuffer { Src = src, Size = srcSize, Pos = srcPos };
        nuint rc = ZstdLibrary.CompressStream2(cctx, &output, &input, ZstdLibrary.EndFrame);
        (dstPos, srcPos) = (output.Pos, input.Pos);
        return rc;
    }

    public nint CreateDCtx() => ZstdLibrary.CreateDCtx();
    public void FreeDCtx(nint dctx) => ZstdLibrary.FreeDCtx(dctx);
    public void ResetDCtx(nint dctx) => ZstdLibrary.DCtxReset(dctx, ZstdLibrary.ResetSessionOnly);

    public nuint Decompress(nint dctx, byte* dst, nuint dstSize, ref nuint dstPos, byte* src, nuint srcSize, ref nuint srcPos)
    {
        var output = new ZstdLibrary.OutBuffer { Dst = dst, Size = dstSize, Pos = dstPos };
        var input = new ZstdLibrary.InBuffer { Src = src, Size = srcSize, Pos = srcPos };
        nuint rc = ZstdLibrary.DecompressStream(dctx, &output, &input);
        (dstPos, srcPos) = (output.Pos, input.Pos);
        return rc;
    }

    public bool IsError(nuint code) => ZstdLibrary.IsError(code) != 0;
    public bool IsDstTooSmall(nuint code) => ZstdLibrary.GetErrorCode(code) == ZstdLibrary.ErrorDstSizeTooSmall;
    public string ErrorName(nuint code) => ZstdLibrary.ErrorName(code);
}
