using System.Runtime.InteropServices;

namespace ImageBuild.Engine.Compression;

/// <summary>
/// The machine's zstd (libzstd.so.1, Debian's libzstd1: the library qemu-img links), loaded and checked up front.
/// Compressing with it makes our zstd clusters byte-identical to qemu's, and it inflates them about twice as fast as
/// the managed port; without it <see cref="ZstdClusterCompressor"/> falls back to ZstdSharp. Only the streaming calls
/// qemu's qcow2-threads.c makes, through P/Invokes (see <see cref="ZlibLibrary"/> for why not function pointers).
/// </summary>
internal static unsafe partial class ZstdLibrary
{
    private const string LibraryName = "imagebuild-zstd";

    /// <summary>ZSTD_ResetDirective.ZSTD_reset_session_only.</summary>
    public const int ResetSessionOnly = 1;

    /// <summary>ZSTD_cParameter.ZSTD_c_compressionLevel.</summary>
    public const int CompressionLevelParameter = 100;

    /// <summary>ZSTD_EndDirective.ZSTD_e_end.</summary>
    public const int EndFrame = 2;

    /// <summary>ZSTD_ErrorCode.ZSTD_error_dstSize_tooSmall.</summary>
    public const int ErrorDstSizeTooSmall = 70;

    /// <summary>ZSTD_inBuffer.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct InBuffer
    {
        public byte* Src;
        public nuint Size;
        public nuint Pos;
    }

    /// <summary>ZSTD_outBuffer.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct OutBuffer
    {
        public byte* Dst;
        public nuint Size;
        public nuint Pos;
    }

    [LibraryImport(LibraryName, EntryPoint = "ZSTD_createCCtx")]
    public static partial nint CreateCCtx();

    [LibraryImport(LibraryName, EntryPoint = "ZSTD_freeCCtx")]
    public static partial nuint FreeCCtx(nint cctx);

    [LibraryImport(LibraryName, EntryPoint = "ZSTD_CCtx_reset")]
    public static partial nuint CCtxReset(nint cctx, int directive);

    [LibraryImport(LibraryName, EntryPoint = "ZSTD_CCtx_setParameter")]
    public static partial nuint CCtxSetParameter(nint cctx, int parameter, int value);

    [LibraryImport(LibraryName, EntryPoint = "ZSTD_compressStream2")]
    public static partial nuint CompressStream2(nint cctx, OutBuffer* output, InBuffer* input, int endOp);

    [LibraryImport(LibraryName, EntryPoint = "ZSTD_createDCtx")]
    public static partial nint CreateDCtx();

    [LibraryImport(LibraryName, EntryPoint = "ZSTD_freeDCtx")]
    public static partial nuint FreeDCtx(nint dctx);

    [LibraryImport(LibraryName, EntryPoint = "ZSTD_DCtx_reset")]
    public static partial nuint DCtxReset(nint dctx, int directive);

    [LibraryImport(LibraryName, EntryPoint = "ZSTD_decompressStream")]
    public static partial nuint DecompressStream(nint dctx, OutBuffer* output, InBuffer* input);

    [LibraryImport(LibraryName, EntryPoint = "ZSTD_isError")]
    public static partial uint IsError(nuint code);

    [LibraryImport(LibraryName, EntryPoint = "ZSTD_getErrorCode")]
    public static partial int GetErrorCode(nuint code);

    [LibraryImport(LibraryName, EntryPoint = "ZSTD_getErrorName")]
    public static partial byte* GetErrorName(nuint code);

    /// <summary>ZSTD_EndDirective.ZSTD_e_continue.</summary>
    public const int ContinueFrame = 0;

    /// <summary>ZSTD_cParameter.ZSTD_c_contentSizeFlag, ZSTD_c_checksumFlag and ZSTD_c_nbWorkers.</summary>
    public const int ContentSizeFlagParameter = 200, ChecksumFlagParameter = 201, NbWorkersParameter = 400;

    [LibraryImport(LibraryName, EntryPoint = "ZSTD_CCtx_setPledgedSrcSize")]
    public static partial nuint CCtxSetPledgedSrcSize(nint cctx, ulong pledgedSrcSize);

    /// <summary>What one single-threaded compression stream at a level needs (an upper bound, in bytes).</summary>
    [LibraryImport(LibraryName, EntryPoint = "ZSTD_estimateCStreamSize")]
    public static partial nuint EstimateCStreamSize(int compressionLevel);

    [LibraryImport(LibraryName, EntryPoint = "ZSTD_versionNumber")]
    private static partial uint VersionNumber();

    private static readonly string[] Names = ["libzstd.so.1", "libzstd.so"];
    private static readonly string[] Exports =
    [
        "ZSTD_createCCtx", "ZSTD_freeCCtx", "ZSTD_CCtx_reset", "ZSTD_CCtx_setParameter", "ZSTD_compressStream2",
        "ZSTD_createDCtx", "ZSTD_freeDCtx", "ZSTD_DCtx_reset", "ZSTD_decompressStream", "ZSTD_isError",
        "ZSTD_getErrorCode", "ZSTD_getErrorName", "ZSTD_versionNumber",
    ];

    private static readonly Lazy<string?> Loaded = new(Load);

    /// <summary>True when libzstd is loaded; otherwise <paramref name="error"/> says why. Loaded once per process.</summary>
    public static bool TryLoad(out string error)
    {
        error = Loaded.Value ?? "";
        return Loaded.Value is null;
    }

    /// <summary>The library's version, e.g. 10504 for 1.5.4.</summary>
    public static uint Version => VersionNumber();

    public static string ErrorName(nuint code) => Marshal.PtrToStringAnsi((nint)GetErrorName(code)) ?? $"zstd error {code}";

    /// <summary>Null when loaded, else the reason it is not.</summary>
    private static string? Load()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsFreeBSD())
            return "libzstd is only looked up as libzstd.so.1 on Linux";
        foreach (string name in Names)
        {
            if (!NativeLibrary.TryLoad(name, out nint handle)) continue;
            foreach (string export in Exports)
                if (!NativeLibrary.TryGetExport(handle, export, out _))
                    return $"{name} lacks {export}";
            NativeLibraryResolver.Register(LibraryName, handle);
            // ZSTD_compressStream2 and the reset/parameter API are stable from 1.4.0 on.
            if (VersionNumber() < 10400)
                return $"{name} is version {VersionNumber()}, older than 1.4.0";
            return null;
        }
        return "libzstd.so.1 could not be loaded (install libzstd1)";
    }
}
