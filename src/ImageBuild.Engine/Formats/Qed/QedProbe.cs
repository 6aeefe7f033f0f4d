using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Qed;

/// <summary>qemu's bdrv_qed_probe: little-endian magic "QED\0" in a buffer holding the 64-byte header.</summary>
public static class QedProbe
{
    public const uint Magic = 0x00444551;

    public static int Score(ReadOnlySpan<byte> buf, string filename) =>
        buf.Length >= 64 && BinaryPrimitives.ReadUInt32LittleEndian(buf) == Magic ? 100 : 0;
}
