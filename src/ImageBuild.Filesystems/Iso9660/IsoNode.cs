using ImageBuild.Filesystems.Trees;

namespace ImageBuild.Filesystems.Iso9660;

/// <summary>A tree entry (or the implicit root) with its children, and where a file's content lies in the image.</summary>
internal sealed class IsoNode
{
    public IsoNode(TreeEntry? entry, IsoNode? parent) { Entry = entry; Parent = parent; }

    public TreeEntry? Entry { get; }
    public IsoNode? Parent { get; }
    public List<IsoNode> Children { get; } = [];
    public string Name => Entry?.Name ?? "";
    public string Path => Entry?.Path ?? "/";
    public bool IsDirectory => Entry is null || Entry.Kind == TreeEntryKind.Directory;
    public bool IsFile => Entry is { Kind: TreeEntryKind.File };
    public long DataSize => IsFile ? Entry!.Size : 0;
    public long Extent { get; set; }

    /// <summary>The POSIX mode with its file type bits, as Rock Ridge PX records it.</summary>
    public int PosixMode => Entry switch
    {
        null => RockRidgeEntries.IfDir | 0x1ED,
        { Kind: TreeEntryKind.Directory } e => RockRidgeEntries.IfDir | e.Mode,
        { Kind: TreeEntryKind.File } e => RockRidgeEntries.IfReg | e.Mode,
        var e => RockRidgeEntries.IfLnk | (e.Mode == 0 ? 0x1FF : e.Mode),
    };

    public int Links => IsDirectory ? 2 + Children.Count(c => c.IsDirectory) : 1;

    public static IsoNode Build(FileTree tree)
    {
        var root = new IsoNode(null, null);
        var dirs = new Dictionary<string, IsoNode>(StringComparer.Ordinal) { [""] = root };
        foreach (var e in tree.Entries)
        {
            var parent = dirs[e.ParentPath];
            var node = new IsoNode(e, parent);
            parent.Children.Add(node);
            if (e.Kind == TreeEntryKind.Directory) dirs[e.Path] = node;
        }
        return root;
    }
}
