using ImageBuild.Engine.Block;

namespace ImageBuild.Recipes.Model;

/// <summary>
/// The format an existing image file probes as, read before anything runs: the validator refuses formats the engine
/// cannot read yet, and the graph names the outputs derived from the image after its format.
/// </summary>
internal static class ExistingImageProbe
{
    /// <summary>
    /// The driver whose probe wins for the file's first bytes (raw for an empty file or when none claims them, as
    /// opening it would); null when the file is missing or unreadable, which is reported where the file is read.
    /// </summary>
    public static ImageFormat? Probe(string path, FormatRegistry formats)
    {
        byte[] header = new byte[ImageOpener.ProbeSize];
        try
        {
            if (new FileInfo(path) is not { Exists: true } info) return null;
            if (info.Length == 0) return formats.Find("raw");
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            fs.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return formats.Probe(header, path) ?? formats.Find("raw");
    }
}
