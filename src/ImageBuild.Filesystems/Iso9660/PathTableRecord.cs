using System.Buffers.Binary;

namespace ImageBuild.Filesystems.Iso9660;

/// <summary>
/// An ECMA-119 9.4 Path Table Record: identifier length, extent location and parent directory number (little endian
/// in the L table, big endian in the M table), the identifier and a padding byte when its length is odd.
/// </summary>
internal static class PathTableRecord
{
    public static int Length(int idLength) => 8 + idLength + (idLength % 2);

    public static void Write(Span<byte> d, bool bigEndian, long extent, int parent, ReadOnlySpan<byte> id)
    {
        d[..Length(id.Length)].Clear();
        d[0] = (byte)id.Length;
        if (bigEndian) { BinaryPrimitives.WriteUInt32BigEndian(d[2..], checked((uint)extent)); BinaryPrimitives.WriteUInt16BigEndian(d[6..], checked((ushort)parent)); }
        else { BinaryPrimitives.WriteUInt32LittleEndian(d[2..], checked((uint)extent)); BinaryPrimitives.WriteUInt16LittleEndian(d[6..], checked((ushort)parent)); }
        id.CopyTo(d[8..]);
    }
}
