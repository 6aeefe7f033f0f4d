using ImageBuild.Filesystems.Trees;

namespace ImageBuild.Filesystems.Fat;

/// <summary>
/// A file or directory as it will be laid out: its 8.3 name (and whether long entries carry the real one), its
/// contiguous run of clusters, and for directories the children and the count of 32-byte entries they need.
/// </summary>
internal sealed class FatNode
{
    public FatNode(TreeEntry? entry, FatNode? parent)
    {
        Entry = entry;
        Parent = parent;
    }

    /// <summary>The tree entry; null for the root.</summary>
    public TreeEntry? Entry { get; }
    public FatNode? Parent { get; }
    public string Path => Entry?.Path ?? "/";
    public bool IsDirectory => Entry is null || Entry.Kind == TreeEntryKind.Directory;
    public List<FatNode> Children { get; } = [];

    public byte[] ShortName { get; set; } = [];
    public byte CaseBits { get; set; }
    public bool NeedsLongName { get; set; }

    /// <summary>32-byte entries of a directory: dot entries, label, long and short entries of every child.</summary>
    public int DirectoryEntries { get; set; }

    /// <summary>First cluster (0 for an empty file and for the FAT12/16 root) and the run's length.</summary>
    public uint FirstCluster { get; set; }
    public uint Clusters { get; set; }
}
