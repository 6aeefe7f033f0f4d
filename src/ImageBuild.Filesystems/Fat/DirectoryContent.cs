namespace ImageBuild.Filesystems.Fat;

/// <summary>
/// The bytes of one directory (fatgen103 "FAT Directory Structure"): in a subdirectory "." (itself) and ".." (its
/// parent, 0 for the root), in the root the ATTR_VOLUME_ID label entry, then each child as its long-name entries and
/// short entry, the rest zero (free, end of directory). Attributes: ATTR_DIRECTORY for directories; ATTR_ARCHIVE for
/// files, with ATTR_READ_ONLY when the owner-write bit (0200) is clear.
/// </summary>
internal static class DirectoryContent
{
    public static byte[] Build(FatNode dir, int length, ReadOnlySpan<byte> label11, bool hasLabel, FatTimestamp time)
    {
        var bytes = new byte[length]; // at most 65536 entries of 32 bytes: 2 MiB
        var span = bytes.AsSpan();
        int at = 0;
        if (dir.Entry is not null)
        {
            ShortDirectoryEntry.WriteDot(span[at..], 1, dir.FirstCluster, time);
            at += ShortDirectoryEntry.Size;
            uint parent = dir.Parent!.Entry is null ? 0 : dir.Parent.FirstCluster;
            ShortDirectoryEntry.WriteDot(span[at..], 2, parent, time);
            at += ShortDirectoryEntry.Size;
        }
        else if (hasLabel)
        {
            ShortDirectoryEntry.Write(span[at..], label11, ShortDirectoryEntry.AttrVolumeId, 0, 0, 0, time);
            at += ShortDirectoryEntry.Size;
        }
        foreach (var child in dir.Children)
        {
            var e = child.Entry!;
            if (child.NeedsLongName)
            {
                LongNameEntries.Write(span[at..], e.Name, LongNameEntries.Checksum(child.ShortName));
                at += LongNameEntries.Count(e.Name) * ShortDirectoryEntry.Size;
            }
            byte attr = child.IsDirectory
                ? ShortDirectoryEntry.AttrDirectory
                : (byte)(ShortDirectoryEntry.AttrArchive | ((e.Mode & 0x80) == 0 ? ShortDirectoryEntry.AttrReadOnly : 0));
            ShortDirectoryEntry.Write(span[at..], child.ShortName, attr, child.CaseBits, child.FirstCluster,
                child.IsDirectory ? 0 : (uint)e.Size, time);
            at += ShortDirectoryEntry.Size;
        }
        return bytes;
    }
}
