namespace ImageBuild.Filesystems.Iso9660;

/// <summary>
/// One directory hierarchy of the image, the primary one (level 3 identifiers, Rock Ridge entries) or the Joliet one:
/// its directories numbered in path table order (ECMA-119 6.9.1: by level, then parent number, then identifier), each
/// with its records sorted as 9.3 requires ("." and ".." first) and packed into blocks without crossing a boundary.
/// </summary>
internal sealed class IsoHierarchy
{
    internal sealed class Record
    {
        public required IsoNode Target { get; init; }
        public required byte[] Id { get; init; }
        public SystemUseArea? SystemUse { get; init; }
        public int Length => DirectoryRecord.Length(Id.Length, SystemUse?.RecordLength ?? 0);
        public int Block { get; set; }
        public int Offset { get; set; }
    }

    internal sealed class Directory
    {
        public required IsoNode Node { get; init; }
        public required byte[] Id { get; init; }
        public required int Number { get; init; }
        public required int ParentNumber { get; init; }
        public List<Record> Records { get; } = [];
        public int Blocks { get; set; }
        public long Extent { get; set; }
        public long Size => (long)Blocks * IsoFields.BlockSize;
    }

    public IsoHierarchy(IsoNode root, bool joliet, bool rockRidge, DateTime date)
    {
        Joliet = joliet;
        Directories.Add(new Directory { Node = root, Id = [0], Number = 1, ParentNumber = 1 });
        for (int i = 0; i < Directories.Count; i++)
        {
            var dir = Directories[i];
            ByNode[dir.Node] = dir;
            var kids = dir.Node.Children;
            List<string> ids = joliet
                ? JolietNames.Assign(kids.Select(k => k.Name).ToList())
                : PrimaryNames.Assign(kids.Select(k => (k.Name, k.IsDirectory)).ToList());
            var order = Enumerable.Range(0, kids.Count).ToList();
            order.Sort((a, b) => joliet ? JolietNames.Compare(ids[a], ids[b]) : PrimaryNames.Compare(ids[a], ids[b]));

            var parent = dir.Node.Parent ?? dir.Node;
            dir.Records.Add(Make(dir.Node, [0], rockRidge ? Entries(dir.Node, date, self: true) : null));
            dir.Records.Add(Make(parent, [1], rockRidge ? Entries(parent, date, self: false) : null));
            foreach (int k in order)
            {
                var kid = kids[k];
                byte[] id = joliet ? JolietNames.Bytes(ids[k]) : PrimaryNames.Bytes(ids[k]);
                dir.Records.Add(Make(kid, id, rockRidge ? Entries(kid, date, self: false, named: true) : null));
                if (kid.IsDirectory)
                    Directories.Add(new Directory { Node = kid, Id = id, Number = Directories.Count + 1, ParentNumber = dir.Number });
            }
            Pack(dir);
        }
        if (Directories.Count > ushort.MaxValue)
            throw new IOException($"the tree has {Directories.Count} directories; an ISO 9660 path table numbers at most {ushort.MaxValue}");
    }

    public bool Joliet { get; }
    public List<Directory> Directories { get; } = [];
    public Dictionary<IsoNode, Directory> ByNode { get; } = [];

    public int PathTableSize => Directories.Sum(d => PathTableRecord.Length(d.Id.Length));

    public int TotalDirectoryBlocks => Directories.Sum(d => d.Blocks);

    private static Record Make(IsoNode target, byte[] id, List<byte[]>? entries) => new()
    {
        Target = target,
        Id = id,
        SystemUse = entries is null ? null : new SystemUseArea(entries, DirectoryRecord.SystemUseRoom(id.Length)),
    };

    /// <summary>Rock Ridge entries of a record: SP and ER in the root's "." record, PX and TF in all, NM and SL for entries.</summary>
    private static List<byte[]> Entries(IsoNode node, DateTime date, bool self)
    {
        var e = new List<byte[]>();
        bool rootSelf = self && node.Entry is null;
        if (rootSelf) e.Add(RockRidgeEntries.Sp());
        e.Add(RockRidgeEntries.Px(node.PosixMode, node.Links, node.Entry?.Uid ?? 0, node.Entry?.Gid ?? 0));
        e.Add(RockRidgeEntries.Tf(date));
        if (rootSelf) e.Add(RockRidgeEntries.Er());
        return e;
    }

    private static List<byte[]> Entries(IsoNode node, DateTime date, bool self, bool named)
    {
        var e = Entries(node, date, self);
        if (!named) return e;
        e.AddRange(RockRidgeEntries.Nm(node.Name));
        if (node.Entry is { Kind: Trees.TreeEntryKind.Symlink, LinkTarget: { } target }) e.AddRange(RockRidgeEntries.Sl(target));
        return e;
    }

    private static void Pack(Directory dir)
    {
        int block = 0, offset = 0;
        foreach (var r in dir.Records)
        {
            if (offset + r.Length > IsoFields.BlockSize) { block++; offset = 0; }
            r.Block = block; r.Offset = offset;
            offset += r.Length;
        }
        dir.Blocks = block + 1;
    }
}
