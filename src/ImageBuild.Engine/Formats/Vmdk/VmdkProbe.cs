using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>qemu's vmdk_probe: a sparse extent magic, or a text descriptor whose first line that is not a comment or blank is version=1|2|3.</summary>
public static class VmdkProbe
{
    /// <summary>"COWD" read big-endian (VMware 3 sparse).</summary>
    public const uint Vmdk3Magic = 0x434F5744;

    /// <summary>"KDMV" read big-endian (VMware 4 hosted sparse).</summary>
    public const uint Vmdk4Magic = 0x4B444D56;

    public static int Score(ReadOnlySpan<byte> buf, string filename)
    {
        if (buf.Length < 4) return 0;
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(buf);
        if (magic is Vmdk3Magic or Vmdk4Magic) return 100;
        int p = 0;
        while (p < buf.Length)
        {
            if (buf[p] == '#')
            {
                while (p < buf.Length && buf[p] != '\n') p++;
                p++;
                continue;
            }
            if (buf[p] == ' ')
            {
                while (p < buf.Length && buf[p] == ' ') p++;
                if (p < buf.Length && buf[p] == '\r') p++;
                if (p == buf.Length || buf[p] != '\n') return 0; // only blank lines may come before version=
                p++;
                continue;
            }
            var rest = buf[p..];
            foreach (var v in "123")
            {
                if (StartsWith(rest, $"version={v}\n") || StartsWith(rest, $"version={v}\r\n"))
                    return 100;
            }
            return 0;
        }
        return 0;
    }

    private static bool StartsWith(ReadOnlySpan<byte> buf, string text)
    {
        if (buf.Length < text.Length) return false;
        for (int i = 0; i < text.Length; i++)
            if (buf[i] != text[i]) return false;
        return true;
    }
}
