using System.Text;
using ImageBuild.Filesystems.Trees;

namespace ImageBuild.Filesystems.Ext4;

/// <summary>
/// Gives every inode mke2fs -d made from the staging directory the tree's metadata instead of the staged host file's:
/// permission bits, uid and gid from the <see cref="TreeEntry"/>, all four timestamps (nanoseconds zero) from the
/// options, no extended attributes. Finds each entry's inode by reading the directories from the root down, checks
/// that each directory holds exactly the tree's entries, that kinds and file sizes match and that no two entries share
/// an inode, and rewrites the inode checksum (metadata_csum) after checking the old one.
/// </summary>
internal static class InodeFixup
{
    private const uint RootInode = 2;
    private const string LostAndFound = "lost+found";
    private const int RunBytes = 1 << 20;

    public static void Apply(Ext4Image image, FileTree tree, long timestamp, string where, CancellationToken cancellation)
    {
        var sb = image.Super;
        if (!sb.HasExtents || sb.HasInlineData)
            throw new IOException($"{where}: mke2fs made a filesystem without extents or with inline data, which this writer does not read back");
        uint seed = sb.HasMetadataCsum ? sb.CsumSeed : 0;
        var found = new Dictionary<uint, (string Path, TreeEntry? Entry)>();

        void Patch(Span<byte> inode, uint number, string path, TreeEntry? entry)
        {
            if (sb.HasMetadataCsum && !Inode.ChecksumMatches(inode, seed, number))
                throw new IOException($"{where}: inode {number} ('{path}') has a checksum this writer does not reproduce");
            int type = Inode.Mode(inode) & Inode.TypeMask;
            if (entry is not null)
            {
                int expected = entry.Kind switch { TreeEntryKind.Directory => Inode.TypeDirectory, TreeEntryKind.File => Inode.TypeRegular, _ => Inode.TypeSymlink };
                if (type != expected)
                    throw new TreeMismatchException($"{where}: '{path}' is not a {entry.Kind.ToString().ToLowerInvariant()} in the filesystem (mode 0{Convert.ToString(Inode.Mode(inode), 8)})");
                if (entry.Kind == TreeEntryKind.File && Inode.Size(inode) != entry.Size)
                    throw new TreeMismatchException($"'{entry.SourcePath ?? path}': {Inode.Size(inode)} bytes instead of the tree's {entry.Size} (changed while writing?)");
                if (entry.Kind == TreeEntryKind.Symlink && !SymlinkTarget(image, inode, where).SequenceEqual(Encoding.UTF8.GetBytes(entry.LinkTarget!)))
                    throw new TreeMismatchException($"{where}: the symlink '{path}' does not point to '{entry.LinkTarget}'");
                Inode.SetOwnerAndMode(inode, entry.Mode, entry.Uid, entry.Gid);
            }
            else
            {
                Inode.SetOwnerAndMode(inode, 0b111_101_101, 0, 0);
            }
            Inode.SetTimes(inode, timestamp);
            if (!Inode.ClearExtendedAttributes(inode))
                throw new TreeMismatchException($"'{entry?.SourcePath ?? path}': it carries extended attributes in a block of their own, which the tree does not hold");
            if (sb.HasMetadataCsum) Inode.WriteChecksum(inode, seed, number);
        }

        var children = tree.Entries.ToLookup(e => e.ParentPath, StringComparer.Ordinal);
        var directories = new Queue<(string Path, uint Inode)>();
        found[RootInode] = ("/", null);
        directories.Enqueue(("", RootInode));
        while (directories.TryDequeue(out var dir))
        {
            cancellation.ThrowIfCancellationRequested();
            var listing = ReadDirectory(image, dir.Inode, where);
            if (dir.Path.Length == 0 && !tree.Entries.Any(e => e.Path == LostAndFound)) listing.Remove(LostAndFound);
            foreach (var entry in children[dir.Path])
            {
                if (!listing.Remove(entry.Name, out uint number))
                    throw new TreeMismatchException($"{where}: '{entry.Path}' is missing from the filesystem mke2fs made");
                if (!found.TryAdd(number, (entry.Path, entry)))
                    throw new TreeMismatchException($"{where}: '{entry.Path}' shares inode {number} with '{found[number].Path}'");
                if (entry.Kind == TreeEntryKind.Directory) directories.Enqueue((entry.Path, number));
            }
            if (listing.Count > 0)
                throw new TreeMismatchException($"{where}: '{(dir.Path.Length == 0 ? "" : dir.Path + "/")}{listing.Keys.First()}' is in the filesystem but not in the tree");
        }

        // Inodes in number order, read and written back a run of adjacent table slots at a time.
        var numbers = found.Keys.Order().ToList();
        var buffer = new byte[RunBytes];
        for (int first = 0; first < numbers.Count;)
        {
            cancellation.ThrowIfCancellationRequested();
            long start = image.InodeOffset(numbers[first]);
            int last = first;
            while (last + 1 < numbers.Count && image.InodeOffset(numbers[last + 1]) is var next
                   && next > image.InodeOffset(numbers[last]) && next + sb.InodeSize - start <= RunBytes)
                last++;
            int length = (int)(image.InodeOffset(numbers[last]) + sb.InodeSize - start);
            var run = buffer.AsSpan(0, length);
            image.ReadExactly(run, start);
            for (int k = first; k <= last; k++)
            {
                var (path, entry) = found[numbers[k]];
                Patch(run.Slice((int)(image.InodeOffset(numbers[k]) - start), sb.InodeSize), numbers[k], path, entry);
            }
            image.Write(run, start);
            first = last + 1;
        }
    }

    /// <summary>A symlink's target: in i_block (a fast symlink, under 60 bytes) or in its first data block.</summary>
    private static byte[] SymlinkTarget(Ext4Image image, ReadOnlySpan<byte> inode, string where)
    {
        long size = Inode.Size(inode);
        if ((Inode.Flags(inode) & Inode.ExtentsFlag) == 0)
            return size <= 60 ? Inode.Block(inode)[..(int)size].ToArray() : [];
        var extents = ExtentTree.Leaves(Inode.Block(inode).ToArray(), image.ReadBlock, where);
        if (extents.Count == 0 || size > image.Super.BlockSize) return [];
        return image.ReadBlock(extents[0].PhysicalBlock).AsSpan(0, (int)size).ToArray();
    }

    private static Dictionary<string, uint> ReadDirectory(Ext4Image image, uint number, string where)
    {
        var inode = new byte[image.Super.InodeSize];
        image.ReadInode(number, inode);
        if ((Inode.Flags(inode) & Inode.ExtentsFlag) == 0)
            throw new IOException($"{where}: directory inode {number} does not use extents");
        var names = new Dictionary<string, uint>(StringComparer.Ordinal);
        foreach (var extent in ExtentTree.Leaves(Inode.Block(inode), image.ReadBlock, where))
            for (int k = 0; k < extent.Length; k++)
                DirectoryEntry.ReadBlock(image.ReadBlock(extent.PhysicalBlock + k), names, where);
        return names;
    }
}
