using System.Text;
using ImageBuild.Filesystems.Trees;

namespace ImageBuild.Filesystems.Iso9660;

/// <summary>
/// Where everything lies in the image, in the order it is written: the system area (blocks 0-15, zeros), the Primary
/// Volume Descriptor at block 16, the Joliet descriptor, the terminator, the L and M path tables of each hierarchy,
/// the primary directories, the Joliet directories, the Rock Ridge continuation areas, then each file's content from a
/// block boundary, depth first with each directory's entries in ordinal order. Refuses what ISO 9660 cannot hold, with a one-line message naming the path.
/// </summary>
internal sealed class IsoLayout
{
    public const uint MaxFileSize = uint.MaxValue;

    public IsoLayout(FileTree tree, IsoOptions options)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        Date = IsoFields.ToDate(options.TimestampSeconds);
        foreach (var e in tree.Entries)
        {
            if (e.Kind == TreeEntryKind.File && e.Size > MaxFileSize)
                throw new IOException($"'{e.Path}': {e.Size} bytes; an ISO 9660 file holds at most 4 GiB - 1 (4294967295 bytes)");
            if (e.Kind == TreeEntryKind.File && e.Size < 0)
                throw new ArgumentException($"'{e.Path}': negative size {e.Size}");
            if (e.Kind == TreeEntryKind.Symlink && !options.RockRidge)
                throw new IOException($"'{e.Path}': a symlink needs Rock Ridge, which the options turn off");
            if (options.RockRidge && Encoding.UTF8.GetByteCount(e.Name) > 255)
                throw new IOException($"'{e.Path}': the name is longer than 255 bytes");
        }
        Root = IsoNode.Build(tree);
        Primary = new IsoHierarchy(Root, joliet: false, options.RockRidge, Date);
        Joliet = options.Joliet ? new IsoHierarchy(Root, joliet: true, rockRidge: false, Date) : null;

        long block = 16;
        PrimaryDescriptor = block++;
        if (Joliet is not null) JolietDescriptor = block++;
        Terminator = block++;
        foreach (var h in Hierarchies)
        {
            long tableBlocks = Blocks(h.PathTableSize);
            h.LTable = block; block += tableBlocks;
            h.MTable = block; block += tableBlocks;
        }
        foreach (var h in Hierarchies)
            foreach (var d in h.Value.Directories) { d.Extent = block; block += d.Blocks; }

        ContinuationStart = block;
        int offset = 0;
        long ceBlock = block;
        foreach (var d in Primary.Directories)
            foreach (var r in d.Records)
                if (r.SystemUse is { } su)
                    for (int i = 0; i < su.Areas.Count; i++)
                    {
                        int len = su.AreaLength(i);
                        if (offset + len > IsoFields.BlockSize) { ceBlock++; offset = 0; }
                        su.AreaBlocks[i] = ceBlock; su.AreaOffsets[i] = offset;
                        offset += len;
                    }
        block = offset > 0 ? ceBlock + 1 : ceBlock;
        ContinuationBlocks = block - ContinuationStart;

        FileNodes = Files();
        foreach (var n in FileNodes)
        {
            n.Extent = n.DataSize == 0 ? 0 : block;
            block += Blocks(n.DataSize);
        }
        if (block > uint.MaxValue) throw new IOException($"the image would have {block} blocks; ISO 9660 counts at most {uint.MaxValue}");
        TotalBlocks = block;
    }

    internal sealed class HierarchyPlace(IsoHierarchy value)
    {
        public IsoHierarchy Value { get; } = value;
        public int PathTableSize => Value.PathTableSize;
        public long LTable { get; set; }
        public long MTable { get; set; }
    }

    public IsoOptions Options { get; }
    public DateTime Date { get; }
    public IsoNode Root { get; }
    public IsoHierarchy Primary { get; }
    public IsoHierarchy? Joliet { get; }
    public long PrimaryDescriptor { get; }
    public long JolietDescriptor { get; }
    public long Terminator { get; }
    public long ContinuationStart { get; }
    public long ContinuationBlocks { get; }
    public long TotalBlocks { get; }
    public long Size => TotalBlocks * IsoFields.BlockSize;

    private List<HierarchyPlace>? _places;

    /// <summary>The primary hierarchy, then the Joliet one when present.</summary>
    public List<HierarchyPlace> Hierarchies => _places ??= Joliet is null ? [new(Primary)] : [new(Primary), new(Joliet)];

    /// <summary>Regular files depth first, each directory's entries in ordinal order: the order their content is written.</summary>
    public IReadOnlyList<IsoNode> FileNodes { get; }

    private List<IsoNode> Files()
    {
        var stack = new Stack<IsoNode>();
        stack.Push(Root);
        var all = new List<IsoNode>();
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (n.IsFile) all.Add(n);
            for (int i = n.Children.Count - 1; i >= 0; i--) stack.Push(n.Children[i]);
        }
        return all;
    }

    public static long Blocks(long bytes) => (bytes + IsoFields.BlockSize - 1) / IsoFields.BlockSize;
}
