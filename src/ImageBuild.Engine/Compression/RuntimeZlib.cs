using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ImageBuild.Engine.Compression;

/// <summary>
/// The deflate of the .NET runtime itself: <c>libSystem.IO.Compression.Native.so</c> beside the framework, which
/// links zlib-ng (2.2 in .NET 10) and exports deflateInit2 with every parameter, so a raw deflate with qemu's 4 KiB
/// window is possible, unlike through <see cref="System.IO.Compression.DeflateStream"/>. zlib-ng compresses the same
/// data about twice as fast as the system zlib at the same level, in streams of about the same size (not the same
/// bytes). The library ships with every .NET install, so this needs nothing from the machine; when it cannot be
/// loaded (an unusual host), callers fall back to <see cref="ZlibLibrary"/>.
/// The functions take the runtime's own stream struct (<see cref="PalZStream"/>), not zlib's z_stream: the native
/// side keeps the z_stream and copies the four buffer fields in and out around each call.
/// </summary>
internal static unsafe partial class RuntimeZlib
{
    /// <summary>
    /// The runtime's own name for the library. A natively compiled (NativeAOT) imagebuild links it statically and
    /// binds imports of this name at link time (the SDK lists it as a DirectPInvoke); elsewhere the import resolver
    /// gives the handle <see cref="Load"/> opened beside the framework.
    /// </summary>
    private const string LibraryName = "libSystem.IO.Compression.Native";

    [StructLayout(LayoutKind.Sequential)]
    private struct PalZStream
    {
        public byte* NextIn;
        public byte* NextOut;
        public byte* Msg;
        public void* InternalState;
        public uint AvailIn;
        public uint AvailOut;
    }

    [LibraryImport(LibraryName, EntryPoint = "CompressionNative_DeflateInit2_")]
    private static partial int DeflateInit2(PalZStream* strm, int level, int method, int windowBits, int memLevel, int strategy);

    [LibraryImport(LibraryName, EntryPoint = "CompressionNative_Deflate")]
    private static partial int Deflate(PalZStream* strm, int flush);

    [LibraryImport(LibraryName, EntryPoint = "CompressionNative_DeflateEnd")]
    private static partial int DeflateEnd(PalZStream* strm);

    private static readonly Lazy<string?> Loaded = new(Load);

    /// <summary>True when the runtime's library is loadable and exports what <see cref="DeflateOnce"/> needs.</summary>
    public static bool IsAvailable => Loaded.Value is null;

    /// <summary>Why the library is not available ("" when it is).</summary>
    public static string Problem => Loaded.Value ?? "";

    private static string? Load()
    {
        if (!RuntimeFeature.IsDynamicCodeSupported) return null; // natively compiled: linked in, bound at link time
        string besideFramework = Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), LibraryName + (OperatingSystem.IsMacOS() ? ".dylib" : ".so"));
        if (!NativeLibrary.TryLoad(besideFramework, out nint handle) && !NativeLibrary.TryLoad(LibraryName, typeof(RuntimeZlib).Assembly, null, out handle))
            return $"{LibraryName} could not be loaded";
        foreach (string name in (string[])["CompressionNative_DeflateInit2_", "CompressionNative_Deflate", "CompressionNative_DeflateEnd"])
            if (!NativeLibrary.TryGetExport(handle, name, out _))
                return $"{LibraryName} lacks {name}";
        NativeLibraryResolver.Register(LibraryName, handle);
        return null;
    }

    /// <summary>zlib-ng's level 6 (Z_DEFAULT_COMPRESSION), its fast "medium" matcher.</summary>
    public const int DefaultLevel = 6;

    /// <summary>zlib-ng's level 9: the exhaustive matcher, slower, smaller than the system zlib's level 6.</summary>
    public const int BestLevel = 9;

    /// <summary>
    /// One unit deflated as <see cref="DeflateOnce"/> at <see cref="DefaultLevel"/>, then, when that left more than
    /// half of the unit, again at <see cref="BestLevel"/>, keeping the smaller. zlib-ng's level 6 writes streams about
    /// 2-3 % larger than the system zlib's level 6, and loses most on data that compresses poorly (binaries), where
    /// level 9's exhaustive search gains most; retrying only those units brings the total to within about 1 % of
    /// the system zlib's size at about 2.3x its speed. Measured with 64 KiB units and a 4 KiB window on 1.8 GiB of
    /// /usr files (sizes against the system zlib's level 6, speed on one core): level 6 alone +2.3 %, 100 MB/s;
    /// level 9 alone -0.4 %, 42 MB/s; this +1.2 %, 19 % of units retried; system zlib 28 MB/s. The choice depends
    /// on the data only, so the same input gives the same bytes on every run. <paramref name="retryAbovePercent"/> sets
    /// what "left" means: 50 for qemu's 4 KiB window; with a 32 KiB window (VMDK grains) level 9 costs more (28
    /// against 42 MB/s) and level 6 alone comes closer (+1.3 %), so 60 there (measured on the first 750 MiB of the
    /// benchmark disk: +1.0 % against the system zlib, 23 % of grains retried).
    /// </summary>
    public static int DeflateSmall(ReadOnlySpan<byte> src, Span<byte> dest, int signedWindowBits, int memLevel, int retryAbovePercent = 50)
    {
        int n = DeflateOnce(src, dest, DefaultLevel, signedWindowBits, memLevel, ZlibLibrary.ZDefaultStrategy);
        if ((long)n * 100 <= (long)src.Length * retryAbovePercent) return n; // compressed well, or not at all (-1: level 9 would not fit either)
        byte[] scratch = ArrayPool<byte>.Shared.Rent(n - 1);
        try
        {
            int m = DeflateOnce(src, scratch.AsSpan(0, n - 1), BestLevel, signedWindowBits, memLevel, ZlibLibrary.ZDefaultStrategy);
            if (m < 0) return n;
            scratch.AsSpan(0, m).CopyTo(dest);
            return m;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// Deflates <paramref name="src"/> in one deflate(Z_FINISH) call: a raw stream for negative
    /// <paramref name="signedWindowBits"/>, a zlib stream (RFC 1950) for positive ones, as zlib's deflateInit2.
    /// Returns the output length, -1 when it does not fit in <paramref name="dest"/>; throws on any other failure.
    /// </summary>
    public static int DeflateOnce(ReadOnlySpan<byte> src, Span<byte> dest, int level, int signedWindowBits, int memLevel, int strategy)
    {
        if (Loaded.Value is { } problem) throw new ImageException($"Cannot compress with the runtime's zlib-ng: {problem}");
        PalZStream strm = default;
        int rc = DeflateInit2(&strm, level, ZlibLibrary.ZDeflated, signedWindowBits, memLevel, strategy);
        if (rc != ZlibLibrary.ZOk) throw new ImageException($"zlib-ng deflateInit2 failed ({rc})");
        try
        {
            fixed (byte* pin = src)
            fixed (byte* pout = dest)
            {
                strm.NextIn = pin;
                strm.AvailIn = (uint)src.Length;
                strm.NextOut = pout;
                strm.AvailOut = (uint)dest.Length;
                return ZlibLibrary.FinishedLength(Deflate(&strm, ZlibLibrary.ZFinish), strm.AvailOut, dest.Length, "zlib-ng");
            }
        }
        finally
        {
            DeflateEnd(&strm);
        }
    }
}
