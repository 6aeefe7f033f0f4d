namespace ImageBuild.Engine.Formats.Vpc;

/// <summary>qemu's vpc_probe: the footer copy's cookie "conectix" at offset 0 (so a fixed VHD, footer only at the end, probes as raw).</summary>
public static class VpcProbe
{
    public static int Score(ReadOnlySpan<byte> buf, string filename) =>
        buf.Length >= 8 && buf[..8].SequenceEqual("conectix"u8) ? 100 : 0;
}
