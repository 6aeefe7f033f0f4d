using ImageBuild.Filesystems.Trees;

namespace ImageBuild.Filesystems.Fat;

/// <summary>
/// The whole layout, computed before a byte is written: every tree entry's names and cluster run. Runs are handed out
/// contiguously from cluster 2 (the FAT32 root first) in the tree's order, so a file is never fragmented and the FAT
/// is a function of the chain ends alone. Refuses symlinks, names FAT cannot hold, files of 4 GiB or more, directories
/// of more than 65536 entries (fatgen103's limit), a FAT12/16 root over its fixed entry count, and a tree that needs
/// more clusters than the volume has (naming the first entry that does not fit).
/// </summary>
internal sealed class FatPlan
{
    private const int MaxDirectoryEntries = 65536;

    private FatPlan(FatNode root, List<FatNode> allocated, List<uint> chainEnds, uint firstFree)
    {
        Root = root;
        Allocated = allocated;
        ChainEnds = chainEnds;
        FirstFree = firstFree;
    }

    public FatNode Root { get; }

    /// <summary>Nodes with clusters, in cluster order.</summary>
    public IReadOnlyList<FatNode> Allocated { get; }

    /// <summary>The last cluster of every run, increasing.</summary>
    public IReadOnlyList<uint> ChainEnds { get; }

    /// <summary>The first cluster no run uses (2 + used clusters).</summary>
    public uint FirstFree { get; }

    public static FatPlan Build(FileTree tree, FatGeometry g, bool hasLabel)
    {
        var root = new FatNode(null, null);
        var directories = new Dictionary<string, FatNode>(StringComparer.Ordinal) { [""] = root };
        var inOrder = new List<FatNode>();
        foreach (var e in tree.Entries)
        {
            if (e.Kind == TreeEntryKind.Symlink)
                throw new IOException($"'{e.Path}': FAT has no symbolic links (target '{e.LinkTarget}')");
            FatNames.CheckLongName(e.Name, e.Path);
            if (e.Kind == TreeEntryKind.File && e.Size > uint.MaxValue)
                throw new IOException($"'{e.Path}': {e.Size} bytes; a FAT file holds at most {uint.MaxValue}");
            var parent = directories[e.ParentPath];
            var node = new FatNode(e, parent);
            parent.Children.Add(node);
            inOrder.Add(node);
            if (e.Kind == TreeEntryKind.Directory) directories[e.Path] = node;
        }

        foreach (var dir in directories.Values) Name(dir, dir == root && hasLabel);
        if (g.Type != FatType.Fat32 && root.DirectoryEntries > g.RootEntryCount)
            throw new IOException($"'{FirstBeyond(root, g.RootEntryCount, hasLabel)}' does not fit: the {g.Type} root directory holds {g.RootEntryCount} entries (long names take several); put files in a subdirectory");

        var allocated = new List<FatNode>();
        var ends = new List<uint>();
        uint next = 2;
        long limit = g.ClusterCount + 2L;
        void Allocate(FatNode n, long bytes)
        {
            long clusters = (bytes + g.ClusterSize - 1) / g.ClusterSize;
            if (clusters == 0) return;
            if (next + clusters > limit)
                throw new IOException($"'{n.Path}' does not fit: the tree needs more than the {g.ClusterCount} clusters of {g.ClusterSize} bytes in this {g.Type} volume ({(long)g.ClusterCount * g.ClusterSize} bytes)");
            n.FirstCluster = next;
            n.Clusters = (uint)clusters;
            next += (uint)clusters;
            allocated.Add(n);
            ends.Add(next - 1);
        }

        if (g.Type == FatType.Fat32) Allocate(root, Math.Max(1, root.DirectoryEntries) * 32L); // BPB_RootClus needs a cluster even when empty
        foreach (var n in inOrder)
            Allocate(n, n.IsDirectory ? n.DirectoryEntries * 32L : n.Entry!.Size);
        return new FatPlan(root, allocated, ends, next);
    }

    /// <summary>Gives each child of <paramref name="dir"/> its short name and counts the directory's entries.</summary>
    private static void Name(FatNode dir, bool withLabel)
    {
        var names = new ShortNameGenerator();
        int entries = (dir.Entry is null ? 0 : 2) + (withLabel ? 1 : 0);
        foreach (var child in dir.Children)
        {
            (child.ShortName, child.CaseBits, child.NeedsLongName) = names.Next(child.Entry!.Name);
            entries += 1 + (child.NeedsLongName ? LongNameEntries.Count(child.Entry.Name) : 0);
            if (entries > MaxDirectoryEntries)
                throw new IOException($"'{child.Path}' does not fit: a FAT directory holds at most {MaxDirectoryEntries} entries (long names take several)");
        }
        dir.DirectoryEntries = entries;
    }

    private static string FirstBeyond(FatNode root, int capacity, bool hasLabel)
    {
        int entries = hasLabel ? 1 : 0;
        foreach (var child in root.Children)
        {
            entries += 1 + (child.NeedsLongName ? LongNameEntries.Count(child.Entry!.Name) : 0);
            if (entries > capacity) return child.Path;
        }
        return root.Path;
    }
}
