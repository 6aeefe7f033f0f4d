using System.Runtime.InteropServices;

namespace ImageBuild.Engine.Compression;

/// <summary>
/// zlib's <c>z_stream</c> as zlib.h declares it. <c>uLong</c> is C's unsigned long (<see cref="CULong"/>: 8 bytes on
/// 64-bit Linux), so the struct is 112 bytes there; zlib checks that size through the stream_size argument of its
/// init functions. zlib keeps a pointer back to the struct, so it must not move between init and end: it lives on
/// the stack of the one call that uses it.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ZStream
{
    public byte* NextIn;
    public uint AvailIn;
    public CULong TotalIn;
    public byte* NextOut;
    public uint AvailOut;
    public CULong TotalOut;
    public byte* Msg;
    public void* State;
    public void* ZAlloc;
    public void* ZFree;
    public void* Opaque;
    public int DataType;
    public CULong Adler;
    public CULong Reserved;
}
