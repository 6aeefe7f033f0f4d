using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Parallels;

/// <summary>qemu's parallels_probe: either header magic and version 2, in a buffer holding the whole 64-byte header.</summary>
public static class ParallelsProbe
{
    public static int Score(ReadOnlySpan<byte> buf, string filename)
    {
        if (buf.Length < 64) return 0;
        bool magic = buf[..16].SequenceEqual("WithoutFreeSpace"u8) || buf[..16].SequenceEqual("WithouFreSpacExt"u8);
        return magic && BinaryPrimitives.ReadUInt32LittleEndian(buf[16..]) == 2 ? 100 : 0;
    }
}
