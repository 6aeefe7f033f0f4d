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

    public static void Apply(Ext4Image image, FileTree tree, long timestamp, string where, CancellationToken cancellation)
    {
        var sb = image.Super;
        if (!sb.HasExtents || sb.HasInlineData)
            throw new IOException($"{where}: mke2fs made a filesystem without extents or with inline data, which this writer does not read back");
        uint seed = sb.HasMetadataCsum ? sb.CsumSeed : 0;
        var inode = new byte[sb.InodeSize];
        var seen = new HashSet<uint>();

        void Patch(uint number, string path, TreeEntry? entry)
        {
            if (!seen.Add(number)) throw new IOException($"{where}: '{path}' shares inode {number} with another entry");
            image.ReadInode(number, inode);
            if (sb.HasMetadataCsum && !Inode.ChecksumMatches(inode, seed, number))
                throw new IOException($"{where}: inode {number} ('{path}') has a checksum this writer does not reproduce");
            bool isDir = (Inode.Mode(inode) & Inode.TypeMask) == Inode.TypeDirectory;
            if (entry is not null)
            {
                if (isDir != (entry.Kind == TreeEntryKind.Directory))
                    throw new IOException($"{where}: '{path}' became a {(isDir ? "directory" : "non-directory")} in the filesystem");
                if (entry.Kind == TreeEntryKind.File && Inode.Size(inode) != entry.Size)
                    throw new IOException($"'{entry.SourcePath ?? path}': {Inode.Size(inode)} bytes instead of the tree's {entry.Size} (changed while writing?)");
                Inode.SetOwnerAndMode(inode, entry.Mode, entry.Uid, entry.Gid);
            }
            else
            {
                Inode.SetOwnerAndMode(inode, 0b111_101_101, 0, 0);
            }
            Inode.SetTimes(inode, timestamp);
            if (!Inode.ClearExtendedAttributes(inode))
                throw new IOException($"'{entry?.SourcePath ?? path}': it carries extended attributes in a block of their own, which the tree does not hold");
            if (sb.HasMetadataCsum) Inode.WriteChecksum(inode, seed, number);
            image.WriteInode(number, inode);
        }

        var children = tree.Entries.ToLookup(e => e.ParentPath, StringComparer.Ordinal);
        var directories = new Queue<(string Path, uint Inode)>();
        Patch(RootInode, "/", null);
        directories.Enqueue(("", RootInode));
        while (directories.TryDequeue(out var dir))
        {
            cancellation.ThrowIfCancellationRequested();
            var listing = ReadDirectory(image, dir.Inode, where);
            if (dir.Path.Length == 0 && !tree.Entries.Any(e => e.Path == LostAndFound)) listing.Remove(LostAndFound);
            foreach (var entry in children[dir.Path])
            {
                if (!listing.Remove(entry.Name, out uint number))
                    throw new IOException($"{where}: '{entry.Path}' is missing from the filesystem mke2fs made");
                Patch(number, entry.Path, entry);
                if (entry.Kind == TreeEntryKind.Directory) directories.Enqueue((entry.Path, number));
            }
            if (listing.Count > 0)
                throw new IOException($"{where}: '{(dir.Path.Length == 0 ? "" : dir.Path + "/")}{listing.Keys.First()}' is in the filesystem but not in the tree");
        }
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
