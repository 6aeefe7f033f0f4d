namespace ImageBuild.Filesystems.Trees;

/// <summary>
/// The content a filesystem is built from: entries in ordinal order of their paths, every directory before what it
/// holds (the root itself is implicit and has no entry). Writers walk <see cref="Entries"/> in this order, so the
/// same tree always gives the same filesystem.
/// </summary>
public sealed class FileTree
{
    public FileTree(IEnumerable<TreeEntry> entries)
    {
        var list = entries.OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
        var directories = new HashSet<string>(StringComparer.Ordinal) { "" };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in list)
        {
            if (e.Path.Length == 0 || e.Path.StartsWith('/') || e.Path.EndsWith('/') || e.Path.Split('/').Any(c => c is "" or "." or ".."))
                throw new ArgumentException($"'{e.Path}': a tree path is relative, '/'-separated, without empty, '.' or '..' components");
            if (!seen.Add(e.Path))
                throw new ArgumentException($"'{e.Path}' appears twice in the tree");
            if (!directories.Contains(e.ParentPath))
                throw new ArgumentException($"'{e.Path}': its directory '{e.ParentPath}' is not in the tree");
            if (e.Kind == TreeEntryKind.Directory) directories.Add(e.Path);
            if (e.Kind == TreeEntryKind.File && (e.SourcePath is null) == (e.Content is null))
                throw new ArgumentException($"'{e.Path}': a file has either a source path or inline content");
            if (e.Kind == TreeEntryKind.Symlink && string.IsNullOrEmpty(e.LinkTarget))
                throw new ArgumentException($"'{e.Path}': a symlink needs a target");
        }
        Entries = list;
    }

    public IReadOnlyList<TreeEntry> Entries { get; }

    /// <summary>The entries directly inside a directory ("" for the root), in ordinal order.</summary>
    public IEnumerable<TreeEntry> ChildrenOf(string directory) => Entries.Where(e => e.ParentPath == directory);

    /// <summary>Bytes of all file content.</summary>
    public long TotalFileBytes => Entries.Where(e => e.Kind == TreeEntryKind.File).Sum(e => e.Size);

    /// <summary>Opens a file entry's content for reading (its host file, or its inline bytes).</summary>
    public static Stream Open(TreeEntry entry)
    {
        if (entry.Kind != TreeEntryKind.File) throw new ArgumentException($"'{entry.Path}' is not a file");
        if (entry.Content is { } inline) return new MemoryStream(inline.ToArray(), writable: false);
        return new FileStream(entry.SourcePath!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
    }
}
