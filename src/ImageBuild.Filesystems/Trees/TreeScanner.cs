using ImageBuild.Engine.Host;

namespace ImageBuild.Filesystems.Trees;

/// <summary>
/// Turns a host directory into a <see cref="FileTree"/>: regular files (their content read later, from the host
/// path), directories and symbolic links, with their permission bits and (mapped) owners. Symbolic links are never
/// followed — a link is an entry holding its target as readlink(2) returns it — so a link loop cannot arise, and
/// nothing outside the root is read. Hard links become separate files with the same content. Timestamps are not
/// recorded: a filesystem writer takes them from its options.
/// </summary>
public static class TreeScanner
{
    /// <summary>
    /// Walks <paramref name="root"/> (a directory; if the path itself is a link, the directory it names) and keeps the
    /// entries that, or whose directory above, match an Include glob while neither they nor a directory above match an
    /// Exclude glob; a directory is also kept when anything below it is kept. An excluded directory is not read.
    /// Throws <see cref="IOException"/> naming the path for a kept device, FIFO or socket, or an unreadable directory;
    /// <see cref="ArgumentException"/> for a bad glob or a missing root. Nothing is written.
    /// </summary>
    public static FileTree Scan(string root, TreeScanOptions options)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(options);
        if (!Directory.Exists(root))
            throw new ArgumentException($"'{root}': not a directory");
        var include = options.Include.Select(p => new TreeGlob(p)).ToArray();
        var exclude = options.Exclude.Select(p => new TreeGlob(p)).ToArray();
        var entries = new List<TreeEntry>();
        Walk(Path.GetFullPath(root), "", included: false, include, exclude, options.Owners, entries);
        return new FileTree(entries);
    }

    // Adds what is kept below `relative` to `entries` (directories before their content) and says whether anything was.
    private static bool Walk(string hostDir, string relative, bool included, TreeGlob[] include, TreeGlob[] exclude,
        OwnerMapping owners, List<TreeEntry> entries)
    {
        string[] names;
        try
        {
            names = Directory.EnumerateFileSystemEntries(hostDir).Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal).ToArray();
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new IOException($"'{hostDir}': cannot read the directory ({e.Message})", e);
        }
        bool any = false;
        foreach (string name in names)
        {
            string path = relative.Length == 0 ? name : relative + "/" + name;
            if (exclude.Any(g => g.IsMatch(path)))
                continue;
            bool selected = included || include.Any(g => g.IsMatch(path));
            string host = Path.Combine(hostDir, name);
            var info = HostStat.Of(host);
            int uid = owners == OwnerMapping.Keep ? info.Uid : 0;
            int gid = owners == OwnerMapping.Keep ? info.Gid : 0;
            if (info.Type == FileType.Directory)
            {
                int at = entries.Count;
                var dir = new TreeEntry { Path = path, Kind = TreeEntryKind.Directory, Mode = info.Mode, Uid = uid, Gid = gid };
                entries.Add(dir);
                bool below = Walk(host, path, selected, include, exclude, owners, entries);
                if (!selected && !below) entries.RemoveAt(at);
                any |= selected || below;
                continue;
            }
            if (!selected)
                continue;
            any = true;
            switch (info.Type)
            {
                case FileType.Regular:
                    entries.Add(new TreeEntry
                    {
                        Path = path, Kind = TreeEntryKind.File, Mode = info.Mode, Uid = uid, Gid = gid,
                        Size = new FileInfo(host).Length, SourcePath = host,
                    });
                    break;
                case FileType.SymbolicLink:
                    string target = new FileInfo(host).LinkTarget
                        ?? throw new IOException($"'{host}': cannot read the symbolic link");
                    entries.Add(new TreeEntry { Path = path, Kind = TreeEntryKind.Symlink, Mode = info.Mode, Uid = uid, Gid = gid, LinkTarget = target });
                    break;
                default:
                    throw new IOException($"'{host}' is {FileKind.Describe(info.Type)}: a tree holds only files, directories and symbolic links");
            }
        }
        return any;
    }
}
