using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Luks;

/// <summary>qemu's LUKS probe (qcrypto_block_luks_has_format): magic "LUKS\xba\xbe" and big-endian version 1.</summary>
public static class LuksProbe
{
    public static int Score(ReadOnlySpan<byte> buf, string filename) =>
        buf.Length >= 8 && buf[..6].SequenceEqual(Magic) &&
        BinaryPrimitives.ReadUInt16BigEndian(buf[6..]) == 1 ? 100 : 0;

    private static ReadOnlySpan<byte> Magic => [(byte)'L', (byte)'U', (byte)'K', (byte)'S', 0xBA, 0xBE];
}
