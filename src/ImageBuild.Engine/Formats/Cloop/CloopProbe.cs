namespace ImageBuild.Engine.Formats.Cloop;

/// <summary>qemu's cloop_probe: the V2.0 shell preamble (as much of it as the buffer holds); score 2.</summary>
public static class CloopProbe
{
    private static ReadOnlySpan<byte> Preamble => "#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n"u8;

    public static int Score(ReadOnlySpan<byte> buf, string filename)
    {
        int n = Math.Min(Preamble.Length, buf.Length);
        return buf[..n].SequenceEqual(Preamble[..n]) ? 2 : 0;
    }
}
