using System.Buffers.Binary;

namespace ImageBuild.Tests.Shared;

/// <summary>Reads and overwrites bytes of an image file in place, for tests that damage images by hand.</summary>
public static class ImageFilePatch
{
    public static byte[] ReadBytes(string path, long offset, int length)
    {
        using var f = File.OpenRead(path);
        var b = new byte[length];
        f.Position = offset;
        f.ReadExactly(b);
        return b;
    }

    public static void Patch(string path, long offset, ReadOnlySpan<byte> bytes)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Write);
        f.Position = offset;
        f.Write(bytes);
    }
}

/// <summary>Little-endian fields of an image file (parallels, vdi, vhdx), read and patched in place.</summary>
public static class LittleEndianFields
{
    public static uint ReadU32(string path, long offset) => BinaryPrimitives.ReadUInt32LittleEndian(ImageFilePatch.ReadBytes(path, offset, 4));

    public static void PatchU32(string path, long offset, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        ImageFilePatch.Patch(path, offset, b);
    }

    public static void PatchU64(string path, long offset, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        ImageFilePatch.Patch(path, offset, b);
    }
}

/// <summary>Big-endian fields of an image file (vpc, qcow2), read and patched in place.</summary>
public static class BigEndianFields
{
    public static uint ReadU32(string path, long offset) => BinaryPrimitives.ReadUInt32BigEndian(ImageFilePatch.ReadBytes(path, offset, 4));

    public static void PatchU32(string path, long offset, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        ImageFilePatch.Patch(path, offset, b);
    }

    public static void PatchU64(string path, long offset, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, value);
        ImageFilePatch.Patch(path, offset, b);
    }
}
