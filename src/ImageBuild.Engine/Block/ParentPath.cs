namespace ImageBuild.Engine.Block;

/// <summary>
/// Parent file names as differencing formats store them (VHD parent locators W2ru/W2ku/MacX, VHDX parent locator
/// relative_path/absolute_win32_path): Windows paths with backslashes, paths relative to the child's folder, and
/// file URLs. Turns them into names this host can open, resolved as <see cref="ImageOpener.ResolveBackingName"/>
/// resolves backing names (relative to the child's folder).
/// </summary>
public static class ParentPath
{
    /// <summary>
    /// The stored name in this host's form: separators turned into '/', a leading ".\" dropped, a file URL decoded; null
    /// when it cannot name a file here (empty, a Windows drive-letter or UNC path on a host without drive letters, or a
    /// URL of another scheme).
    /// </summary>
    public static string? ToHostPath(string? stored)
    {
        if (string.IsNullOrEmpty(stored))
            return null;
        stored = stored.TrimEnd('\0');
        if (stored.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            // file://localhost/path, file:///path (RFC 8089)
            string rest = stored["file://".Length..];
            if (rest.StartsWith("localhost/", StringComparison.OrdinalIgnoreCase))
                rest = rest["localhost".Length..];
            return rest.StartsWith('/') ? Uri.UnescapeDataString(rest) : null;
        }
        if (stored.Contains("://", StringComparison.Ordinal))
            return null;
        bool windowsAbsolute = stored.StartsWith(@"\\", StringComparison.Ordinal)
            || (stored.Length >= 2 && char.IsAsciiLetter(stored[0]) && stored[1] == ':');
        if (windowsAbsolute && !OperatingSystem.IsWindows())
            return null;
        string path = stored.Replace('\\', '/');
        while (path.StartsWith("./", StringComparison.Ordinal))
            path = path[2..];
        return path.Length == 0 ? null : path;
    }

    /// <summary>
    /// Picks the parent among the stored names, in the order the format prefers them: the first that names an existing
    /// file (relative names resolved against <paramref name="childFilename"/>'s folder), otherwise the first usable
    /// one, so that the open fails naming it; null when no stored name is usable on this host.
    /// </summary>
    /// <returns>The chosen name in host form, as it should be shown for the backing file (relative names stay relative).</returns>
    public static string? Choose(string childFilename, IEnumerable<string?> storedNames)
    {
        string? first = null;
        foreach (string? stored in storedNames)
        {
            if (ToHostPath(stored) is not { } path)
                continue;
            first ??= path;
            if (File.Exists(ImageOpener.ResolveBackingName(childFilename, path)))
                return path;
        }
        return first;
    }
}
