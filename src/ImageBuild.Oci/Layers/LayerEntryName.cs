using System.Text;

namespace ImageBuild.Oci.Layers;

/// <summary>
/// The name of the one file a layer holds: a plain file name (no directory part, not "." or "..", no NUL),
/// at most 255 bytes of UTF-8. The same rule for writing and for reading a layer.
/// </summary>
internal static class LayerEntryName
{
    public const int MaxBytes = 255;

    /// <summary>Why <paramref name="name"/> is not a plain file name, or null when it is.</summary>
    public static string? Problem(string name)
    {
        if (name.Length == 0) return "is empty";
        if (name is "." or "..") return "is not a file name";
        if (name.Contains('/') || name.Contains('\\')) return "has a directory part";
        if (name.Contains('\0')) return "contains NUL";
        if (Encoding.UTF8.GetByteCount(name) > MaxBytes) return $"is longer than {MaxBytes} bytes";
        return null;
    }

    /// <summary>The name with one leading "./" removed (as tar writes names of the current directory).</summary>
    public static string StripCurrentDirectory(string name) => name.StartsWith("./", StringComparison.Ordinal) ? name[2..] : name;
}
