using System.Runtime.InteropServices;

namespace ImageBuild.Engine.Formats.Dmg;

/// <summary>
/// A buffer of up to 64 MiB outside the managed heap, for a chunk's stored or decoded bytes and for the property
/// list: managed arrays of 16 MiB and more are avoided (see the house rules), and the memory is given back at once.
/// </summary>
internal sealed unsafe class NativeBuffer : IDisposable
{
    private byte* _data;

    public NativeBuffer(long length)
    {
        Length = (int)length;
        _data = (byte*)NativeMemory.Alloc((nuint)Math.Max(1, length));
    }

    public int Length { get; }

    public byte* Pointer => _data;

    public Span<byte> Span => new(_data, Length);

    public void Dispose()
    {
        if (_data is null) return;
        NativeMemory.Free(_data);
        _data = null;
    }
}
