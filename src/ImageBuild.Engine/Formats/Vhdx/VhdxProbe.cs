namespace ImageBuild.Engine.Formats.Vhdx;

/// <summary>qemu's vhdx_probe: the file type identifier signature "vhdxfile" at offset 0.</summary>
public static class VhdxProbe
{
    public static int Score(ReadOnlySpan<byte> buf, string filename) =>
        buf.Length >= 8 && buf[..8].SequenceEqual("vhdxfile"u8) ? 100 : 0;
}
