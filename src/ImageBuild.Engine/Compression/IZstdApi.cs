namespace ImageBuild.Engine.Compression;

/// <summary>
/// The few zstd streaming calls a qcow2 cluster needs, as libzstd declares them. Two implementations: the machine's
/// libzstd (<see cref="NativeZstdApi"/>) and the ZstdSharp port (<see cref="ManagedZstdApi"/>); the cluster logic in
/// <see cref="ZstdClusterCompressor"/> is written once over this.
/// </summary>
internal unsafe interface IZstdApi
{
    nint CreateCCtx();
    void FreeCCtx(nint cctx);
    /// <summary>ZSTD_CCtx_setParameter(ZSTD_c_compressionLevel).</summary>
    void SetLevel(nint cctx, int level);
    /// <summary>ZSTD_CCtx_reset(ZSTD_reset_session_only).</summary>
    void ResetCCtx(nint cctx);
    /// <summary>ZSTD_compressStream2(ZSTD_e_end): 0 when the frame is complete, else bytes still to flush, or an error code.</summary>
    nuint CompressEnd(nint cctx, byte* dst, nuint dstSize, ref nuint dstPos, byte* src, nuint srcSize, ref nuint srcPos);

    nint CreateDCtx();
    void FreeDCtx(nint dctx);
    /// <summary>ZSTD_DCtx_reset(ZSTD_reset_session_only).</summary>
    void ResetDCtx(nint dctx);
    /// <summary>ZSTD_decompressStream: 0 when a frame is complete, else a hint of input still wanted, or an error code.</summary>
    nuint Decompress(nint dctx, byte* dst, nuint dstSize, ref nuint dstPos, byte* src, nuint srcSize, ref nuint srcPos);

    bool IsError(nuint code);
    bool IsDstTooSmall(nuint code);
    string ErrorName(nuint code);
}
