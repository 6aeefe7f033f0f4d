using ImageBuild.Engine.Compression;
using ZstdSharp.Unsafe;

namespace ImageBuild.Packaging.Compression;

/// <summary>
/// A zstd compression context driven through the streaming API (ZSTD_compressStream2), over the machine's libzstd or,
/// without it, over ZstdSharp (a C# port of the same library). One instance per stream, used from one thread.
/// </summary>
internal abstract unsafe class ZstdEncoder : IDisposable
{
    /// <summary>ZSTD_cParameter values, as zstd.h numbers them.</summary>
    public const int CompressionLevel = 100, ContentSizeFlag = 200, ChecksumFlag = 201, NbWorkers = 400;

    /// <summary>ZSTD_EndDirective values.</summary>
    public const int Continue = 0, End = 2;

    public abstract string Library { get; }
    public abstract nuint SetParameter(int parameter, int value);
    public abstract nuint SetPledgedSrcSize(ulong size);

    /// <summary>ZSTD_compressStream2: returns what is left to flush (0 = done for <see cref="End"/>) or an error code.</summary>
    public abstract nuint Compress(byte* dst, nuint dstSize, ref nuint dstPos, byte* src, nuint srcSize, ref nuint srcPos, int endOp);

    public abstract bool IsError(nuint code);
    public abstract string ErrorName(nuint code);
    public abstract void Dispose();

    /// <summary>The libzstd encoder when libzstd.so.1 loads (and <paramref name="managed"/> is false), else ZstdSharp's.</summary>
    public static ZstdEncoder Create(bool managed = false) => !managed && ZstdLibrary.TryLoad(out _) ? new Native() : new Managed();

    private sealed class Native : ZstdEncoder
    {
        private nint _cctx = ZstdLibrary.CreateCCtx();

        public override string Library => "libzstd";
        public override nuint SetParameter(int parameter, int value) => ZstdLibrary.CCtxSetParameter(_cctx, parameter, value);
        public override nuint SetPledgedSrcSize(ulong size) => ZstdLibrary.CCtxSetPledgedSrcSize(_cctx, size);

        public override nuint Compress(byte* dst, nuint dstSize, ref nuint dstPos, byte* src, nuint srcSize, ref nuint srcPos, int endOp)
        {
            var output = new ZstdLibrary.OutBuffer { Dst = dst, Size = dstSize, Pos = dstPos };
            var input = new ZstdLibrary.InBuffer { Src = src, Size = srcSize, Pos = srcPos };
            nuint rc = ZstdLibrary.CompressStream2(_cctx, &output, &input, endOp);
            (dstPos, srcPos) = (output.Pos, input.Pos);
            return rc;
        }

        public override bool IsError(nuint code) => ZstdLibrary.IsError(code) != 0;
        public override string ErrorName(nuint code) => ZstdLibrary.ErrorName(code);

        public override void Dispose()
        {
            if (_cctx != 0) ZstdLibrary.FreeCCtx(_cctx);
            _cctx = 0;
        }
    }

    private sealed class Managed : ZstdEncoder
    {
        private ZSTD_CCtx_s* _cctx = Methods.ZSTD_createCCtx();

        public override string Library => "ZstdSharp";
        public override nuint SetParameter(int parameter, int value) =>
            Methods.ZSTD_CCtx_setParameter(_cctx, (ZSTD_cParameter)parameter, value);
        public override nuint SetPledgedSrcSize(ulong size) => Methods.ZSTD_CCtx_setPledgedSrcSize(_cctx, size);

        public override nuint Compress(byte* dst, nuint dstSize, ref nuint dstPos, byte* src, nuint srcSize, ref nuint srcPos, int endOp)
        {
            var output = new ZSTD_outBuffer_s { dst = dst, size = dstSize, pos = dstPos };
            var input = new ZSTD_inBuffer_s { src = src, size = srcSize, pos = srcPos };
            nuint rc = Methods.ZSTD_compressStream2(_cctx, &output, &input, (ZSTD_EndDirective)endOp);
            (dstPos, srcPos) = (output.pos, input.pos);
            return rc;
        }

        public override bool IsError(nuint code) => Methods.ZSTD_isError(code);
        public override string ErrorName(nuint code) => Methods.ZSTD_getErrorName(code);

        public override void Dispose()
        {
            if (_cctx != null) Methods.ZSTD_freeCCtx(_cctx);
            _cctx = null;
        }
    }
}
