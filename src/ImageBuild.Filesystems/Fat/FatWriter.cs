using ImageBuild.Filesystems.Trees;
using Microsoft.Win32.SafeHandles;

namespace ImageBuild.Filesystems.Fat;

/// <summary>
/// Writes a FAT12, FAT16 or FAT32 volume with VFAT long names from a <see cref="FileTree"/>, following Microsoft's FAT
/// specification (fatgen103): BPB and boot sector, FSInfo and backup boot sector (FAT32), two FATs, media 0xF8, fixed
/// 512-entry root (FAT12/16) or a root cluster chain (FAT32), 8.3 names generated as Windows does, long-name entries
/// with checksums, the label entry, and every timestamp from <see cref="FatOptions.TimestampSeconds"/>.
/// </summary>
public static class FatWriter
{
    private const int CopyBuffer = 1 << 20;

    /// <summary>
    /// Writes a FAT filesystem of exactly <paramref name="size"/> bytes into <paramref name="target"/> (positioned writes
    /// at <paramref name="offset"/>..offset+size; the caller gives a file opened for writing, which may be a whole disk
    /// with the partition at <paramref name="offset"/>, whose LBA becomes BPB_HiddSec). The file is extended to
    /// offset+size if shorter. Unused clusters are not written (left as they are: zero in a new sparse file); the
    /// reserved sectors, both FATs, the root and every used cluster are written whole. Streams each file's content.
    /// </summary>
    /// <remarks>
    /// The layout is computed and checked first: symlinks, names FAT cannot hold, files of 4 GiB or more and a tree
    /// that does not fit are refused with an <see cref="IOException"/> naming the path before anything is written.
    /// Wrong options throw <see cref="ArgumentException"/>. The boot sector is zeroed first and written last, so when
    /// writing fails or is cancelled halfway (a file that changed size, a read error, cancellation) the range holds no
    /// recognisable FAT volume; the caller should still delete the file (or discard the partition's content).
    /// </remarks>
    public static FatResult Write(FileStream target, long offset, long size, FileTree tree, FatOptions options,
        Action<double>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(options);
        if (!target.CanWrite) throw new ArgumentException($"'{target.Name}' is not open for writing");
        var geometry = FatGeometry.Compute(size, offset, options);
        byte[] label = FatNames.LabelBytes(options.VolumeLabel);
        bool hasLabel = options.VolumeLabel != "NO NAME";
        var plan = FatPlan.Build(tree, geometry, hasLabel);
        var time = FatTimestamp.FromUnixSeconds(options.TimestampSeconds);
        cancellation.ThrowIfCancellationRequested();

        if (target.Length < offset + size) target.SetLength(offset + size);
        var handle = target.SafeFileHandle;
        int bps = geometry.BytesPerSector;
        long usedBytes = (long)(plan.FirstFree - 2) * geometry.ClusterSize;
        long total = geometry.ReservedSectors * (long)bps + 2 * geometry.FatBytes + geometry.RootDirSectors * (long)bps + usedBytes;
        long done = 0;
        void Advance(long bytes)
        {
            done += bytes;
            progress?.Invoke(total == 0 ? 1 : (double)done / total);
        }

        // Reserved region zeroed first: no boot sector until everything else is in place.
        WriteZeros(handle, offset, geometry.ReservedSectors * (long)bps);
        Advance(geometry.ReservedSectors * (long)bps);
        new FatTable(geometry, plan.ChainEnds, plan.FirstFree).Write(handle, offset, Advance, cancellation);
        if (geometry.Type != FatType.Fat32)
        {
            int rootBytes = geometry.RootDirSectors * bps;
            RandomAccess.Write(handle, DirectoryContent.Build(plan.Root, rootBytes, label, hasLabel, time), offset + geometry.RootDirOffset);
            Advance(rootBytes);
        }

        var data = new SequentialWriter(handle, offset + geometry.ClusterOffset(2));
        try
        {
            foreach (var node in plan.Allocated)
            {
                cancellation.ThrowIfCancellationRequested();
                long runBytes = (long)node.Clusters * geometry.ClusterSize;
                if (data.Position != offset + geometry.ClusterOffset(node.FirstCluster))
                    throw new InvalidOperationException($"'{node.Path}': its run does not follow the previous one");
                if (node.IsDirectory)
                    data.Write(DirectoryContent.Build(node, (int)runBytes, label, hasLabel, time));
                else
                    CopyFile(data, node.Entry!, cancellation, Advance);
                data.WriteZeros(runBytes - (node.IsDirectory ? runBytes : node.Entry!.Size));
                Advance(node.IsDirectory ? runBytes : runBytes - node.Entry!.Size);
            }
            data.Complete();
        }
        catch
        {
            data.Abandon();
            throw;
        }

        var sector = new byte[bps];
        BootSector.Write(sector, geometry, options.VolumeId, label);
        if (geometry.Type == FatType.Fat32)
        {
            var info = new byte[bps];
            uint free = geometry.ClusterCount - (plan.FirstFree - 2);
            FsInfoSector.Write(info, free, free == 0 ? 0xFFFFFFFF : plan.FirstFree);
            RandomAccess.Write(handle, info, offset + BootSector.BackupBootSector * (long)bps + bps);
            RandomAccess.Write(handle, sector, offset + BootSector.BackupBootSector * (long)bps);
            RandomAccess.Write(handle, info, offset + BootSector.FsInfoSector * (long)bps);
        }
        RandomAccess.Write(handle, sector, offset);
        progress?.Invoke(1);
        return new FatResult(geometry.Type, geometry.ClusterSize, usedBytes, (long)geometry.ClusterCount * geometry.ClusterSize - usedBytes);
    }

    /// <summary>Copies exactly the entry's size; refuses a file whose size changed since the tree was made.</summary>
    private static void CopyFile(SequentialWriter data, TreeEntry entry, CancellationToken cancellation, Action<long> advance)
    {
        long copied = 0;
        if (entry.SourcePath is { } source)
        {
            using var file = File.OpenHandle(source, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
            while (copied < entry.Size)
            {
                cancellation.ThrowIfCancellationRequested();
                long at = copied;
                int n = data.ReadInto((int)Math.Min(int.MaxValue, entry.Size - copied), m => RandomAccess.Read(file, m.Span, at));
                if (n == 0) throw Shrank(entry, copied);
                copied += n;
                advance(n);
            }
            if (RandomAccess.Read(file, new byte[1], copied) != 0) throw Grew(entry);
            return;
        }
        using var stream = FileTree.Open(entry);
        while (copied < entry.Size)
        {
            int n = data.ReadInto((int)Math.Min(int.MaxValue, entry.Size - copied), m => stream.Read(m.Span));
            if (n == 0) throw Shrank(entry, copied);
            copied += n;
            advance(n);
        }
        if (stream.ReadByte() >= 0) throw Grew(entry);
    }

    private static IOException Shrank(TreeEntry e, long copied) =>
        new($"'{e.Path}': the file ended after {copied} of its {e.Size} bytes (changed while writing?)");

    private static IOException Grew(TreeEntry e) => new($"'{e.Path}': the file is longer than its {e.Size} bytes (changed while writing?)");

    private static void WriteZeros(SafeFileHandle handle, long at, long length)
    {
        if (length <= 0) return;
        var zeros = new byte[(int)Math.Min(length, CopyBuffer)];
        for (long done = 0; done < length; done += zeros.Length)
            RandomAccess.Write(handle, zeros.AsSpan(0, (int)Math.Min(zeros.Length, length - done)), at + done);
    }
}
