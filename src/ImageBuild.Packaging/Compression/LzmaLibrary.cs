using System.Runtime.InteropServices;

namespace ImageBuild.Packaging.Compression;

/// <summary>
/// The machine's liblzma (liblzma.so.5, Debian's liblzma5: the library xz itself uses), for its multithreaded .xz
/// stream encoder. Checked up front so that a missing library is a one-line error, never a DllNotFoundException.
/// Only the calls lzma/container.h and lzma/base.h declare for encoding a stream.
/// </summary>
internal static unsafe partial class LzmaLibrary
{
    private const string LibraryName = "liblzma.so.5";

    /// <summary>lzma_ret values used here.</summary>
    public const int Ok = 0, StreamEnd = 1, MemError = 5, OptionsError = 8;

    /// <summary>lzma_action values.</summary>
    public const int Run = 0, FinishAction = 3;

    /// <summary>lzma_check: CRC64, what xz writes by default.</summary>
    public const int CheckCrc64 = 4;

    [LibraryImport(LibraryName, EntryPoint = "lzma_stream_encoder_mt")]
    public static partial int StreamEncoderMt(LzmaStream* strm, LzmaMt* options);

    [LibraryImport(LibraryName, EntryPoint = "lzma_stream_encoder_mt_memusage")]
    public static partial ulong StreamEncoderMtMemusage(LzmaMt* options);

    [LibraryImport(LibraryName, EntryPoint = "lzma_code")]
    public static partial int Code(LzmaStream* strm, int action);

    [LibraryImport(LibraryName, EntryPoint = "lzma_end")]
    public static partial void End(LzmaStream* strm);

    private static readonly Lazy<string?> Loaded = new(Load);

    /// <summary>True when liblzma is there with the multithreaded encoder; otherwise <paramref name="error"/> says why.</summary>
    public static bool TryLoad(out string error)
    {
        error = Loaded.Value ?? "";
        return Loaded.Value is null;
    }

    private static string? Load()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsFreeBSD())
            return "xz compression needs liblzma.so.5, which is only looked up on Linux";
        if (!NativeLibrary.TryLoad(LibraryName, out nint handle))
            return "xz compression needs liblzma.so.5, which could not be loaded (install liblzma5)";
        foreach (string export in (string[])["lzma_stream_encoder_mt", "lzma_stream_encoder_mt_memusage", "lzma_code", "lzma_end"])
            if (!NativeLibrary.TryGetExport(handle, export, out _))
                return $"{LibraryName} lacks {export} (liblzma 5.2 or later is needed)";
        return null;
    }
}

/// <summary>
/// lzma_stream (lzma/base.h) on LP64: 136 bytes. Initialised to all zeroes (LZMA_STREAM_INIT); liblzma keeps its
/// address, so it lives in native memory for the encoder's lifetime.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LzmaStream
{
    public byte* NextIn;
    public nuint AvailIn;
    public ulong TotalIn;
    public byte* NextOut;
    public nuint AvailOut;
    public ulong TotalOut;
    public void* Allocator;
    public void* Internal;
    public void* ReservedPtr1, ReservedPtr2, ReservedPtr3, ReservedPtr4;
    public ulong SeekPos, ReservedInt2;
    public nuint ReservedInt3, ReservedInt4;
    public int ReservedEnum1, ReservedEnum2;
}

/// <summary>
/// lzma_mt (lzma/container.h), the multithreaded encoder's options: 128 bytes on LP64. Reserved fields stay zero;
/// memlimit_threading and memlimit_stop (liblzma 5.4) are left zero too, the thread count being capped by the caller.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LzmaMt
{
    public uint Flags;
    public uint Threads;
    public ulong BlockSize;
    public uint Timeout;
    public uint Preset;
    public void* Filters;
    public int Check;
    public int ReservedEnum1, ReservedEnum2, ReservedEnum3;
    public uint ReservedInt1, ReservedInt2, ReservedInt3, ReservedInt4;
    public ulong MemlimitThreading, MemlimitStop, ReservedInt7, ReservedInt8;
    public void* ReservedPtr1, ReservedPtr2, ReservedPtr3, ReservedPtr4;
}
