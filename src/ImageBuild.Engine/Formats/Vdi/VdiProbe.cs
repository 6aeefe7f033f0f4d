using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Vdi;

/// <summary>qemu's vdi_probe: the signature 0xBEDA107F (little-endian) at offset 0x40 of a whole 512-byte header.</summary>
public static class VdiProbe
{
    public const uint Signature = 0xBEDA107F;

    public static int Score(ReadOnlySpan<byte> buf, string filename) =>
        buf.Length >= 512 && BinaryPrimitives.ReadUInt32LittleEndian(buf[0x40..]) == Signature ? 100 : 0;
}
