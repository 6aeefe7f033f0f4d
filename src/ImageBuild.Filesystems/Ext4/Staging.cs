using ImageBuild.Filesystems.Trees;

namespace ImageBuild.Filesystems.Ext4;

/// <summary>
/// The host directory mke2fs -d reads: a fresh folder under the scratch directory holding the tree's directories and
/// symlinks, each file hard-linked from its source (so no content is copied) or, when that is not possible or not
/// safe, a copy. Source files are never changed: their metadata is ignored here and the filesystem's inodes are
/// fixed afterwards (<see cref="InodeFixup"/>).
/// </summary>
/// <remarks>
/// mke2fs -d turns host files that share an inode into one ext4 inode with several links. A tree has no hard links,
/// so a source inode is linked at most once: the second and later tree files whose source is the same host inode
/// (the same SourcePath twice, or paths hard-linked in the source) are staged as copies and become separate inodes.
/// Copies are also made when link(2) fails with EXDEV, EPERM, EACCES or EMLINK, when the source is not a regular
/// file (a symbolic link to one), or when it carries extended attributes (mke2fs -d would copy them into the inode).
/// </remarks>
internal sealed class Staging : IDisposable
{
    private readonly string _folder;

    private Staging(string folder)
    {
        _folder = folder;
        Root = Path.Combine(folder, "root");
    }

    /// <summary>The directory given to mke2fs -d.</summary>
    public string Root { get; }

    /// <summary>Files staged as copies rather than hard links.</summary>
    public int Copies { get; private set; }

    public static Staging Create(string scratchDirectory, FileTree tree, CancellationToken cancellation)
    {
        if (!Directory.Exists(scratchDirectory))
            throw new IOException($"'{scratchDirectory}': the scratch directory does not exist");
        string folder;
        for (int n = 0; ; n++)
        {
            folder = Path.Combine(scratchDirectory, $".ext4-staging-{Environment.ProcessId}-{n}");
            if (!Directory.Exists(folder) && !File.Exists(folder)) break;
        }
        Directory.CreateDirectory(folder);
        var staging = new Staging(folder);
        try
        {
            Directory.CreateDirectory(staging.Root);
            staging.Fill(tree, cancellation);
            return staging;
        }
        catch (UnauthorizedAccessException)
        {
            staging.Dispose();
            throw new IOException($"'{folder}': permission denied while staging the tree there");
        }
        catch
        {
            staging.Dispose();
            throw;
        }
    }

    private void Fill(FileTree tree, CancellationToken cancellation)
    {
        var linked = new HashSet<(ulong, ulong)>();
        foreach (var entry in tree.Entries)
        {
            cancellation.ThrowIfCancellationRequested();
            string staged = Path.Combine(Root, entry.Path);
            switch (entry.Kind)
            {
                case TreeEntryKind.Directory:
                    Directory.CreateDirectory(staged);
                    break;
                case TreeEntryKind.Symlink:
                    File.CreateSymbolicLink(staged, entry.LinkTarget!);
                    break;
                case TreeEntryKind.File when entry.Content is { } inline:
                    using (var f = new FileStream(staged, FileMode.CreateNew, FileAccess.Write))
                        f.Write(inline.Span);
                    break;
                default:
                    StageFile(entry, staged, linked);
                    break;
            }
        }
    }

    private void StageFile(TreeEntry entry, string staged, HashSet<(ulong, ulong)> linked)
    {
        string source = entry.SourcePath!;
        var id = HostLinks.Stat(source);
        if (id.IsRegular && id.Size != entry.Size)
            throw new IOException($"'{source}': {id.Size} bytes instead of the tree's {entry.Size} (changed since the tree was made?)");
        if (id.IsRegular && !linked.Contains((id.Device, id.Inode)) && !HostLinks.HasExtendedAttributes(source))
        {
            int errno = HostLinks.TryLink(source, staged);
            if (errno == 0)
            {
                linked.Add((id.Device, id.Inode));
                return;
            }
            if (errno is not (HostLinks.EXDEV or HostLinks.EPERM or HostLinks.EACCES or HostLinks.EMLINK))
                throw new IOException($"'{source}': cannot hard-link it into '{staged}' (errno {errno})");
        }
        CopyFile(entry, source, staged);
    }

    private void CopyFile(TreeEntry entry, string source, string staged)
    {
        using (var from = FileTree.Open(entry))
        using (var to = new FileStream(staged, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            from.CopyTo(to, 1 << 20);
        if (new FileInfo(staged).Length != entry.Size)
            throw new IOException($"'{source}': not {entry.Size} bytes long as the tree says (changed since the tree was made?)");
        Copies++;
    }

    /// <summary>Removes the staging folder (hard links only: the sources stay as they are).</summary>
    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }
}
