namespace ImageBuild.Oci.Distribution;

/// <summary>
/// The names files of a published image may have: a plain file name (what the title annotation and the config
/// carry, and what a pull creates in its destination directory). Anything that could reach outside the destination
/// or hide there is refused: separators, "." and "..", NUL and control characters, a leading dot, more than 255 bytes.
/// </summary>
public static class ArtifactNames
{
    public const int MaxBytes = 255;

    /// <summary>Null when <paramref name="name"/> is a valid plain file name, else why not (a phrase).</summary>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrEmpty(name))
            return "an empty file name";
        if (name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
            return $"the file name '{Shown(name)}' has a directory part";
        if (name is "." or "..")
            return $"the file name '{name}' is no file";
        if (name[0] == '.')
            return $"the file name '{Shown(name)}' is hidden";
        if (name.Any(char.IsControl))
            return "a file name with control characters";
        if (System.Text.Encoding.UTF8.GetByteCount(name) > MaxBytes)
            return $"a file name longer than {MaxBytes} bytes";
        return null;
    }

    private static string Shown(string name) => name.Length > 80 ? name[..80] + "..." : name;
}
