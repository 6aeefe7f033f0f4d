using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Qcow;

/// <summary>qemu's qcow_probe: magic "QFI\xfb" and version 1, in a buffer holding the 48-byte header.</summary>
public static class QcowProbe
{
    public const uint Magic = 0x514649FB;

    public static int Score(ReadOnlySpan<byte> buf, string filename) =>
        buf.Length >= 48 && BinaryPrimitives.ReadUInt32BigEndian(buf) == Magic && BinaryPrimitives.ReadUInt32BigEndian(buf[4..]) == 1 ? 100 : 0;
}
