namespace ImageBuild.Engine.Formats.Dmg;

/// <summary>qemu's dmg_probe: the file name alone (ends in ".dmg", case-sensitive); the content is not looked at. Score 2.</summary>
public static class DmgProbe
{
    public static int Score(ReadOnlySpan<byte> buf, string filename) =>
        filename.Length > 4 && filename.EndsWith(".dmg", StringComparison.Ordinal) ? 2 : 0;
}
