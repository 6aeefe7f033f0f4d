using ImageBuild.Engine.Formats.File;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>Operations that change an image over its life: backing file changes, resize, make-empty (commit).</summary>
public sealed partial class Qcow2Device
{
    /// <summary>qcow2_change_backing_file: rewrites the header cluster with the new name and format extension.</summary>
    public override void ChangeBackingFile(string? backingFile, string? backingFormat)
    {
        if (ReadOnly) throw NotWritable();
        if (backingFile is not null && HasDataFile && (Header.AutoclearFeatures & Qcow2Header.AutoclearDataFileRaw) != 0)
            throw new ImageException("Cannot use a backing file with a raw external data file");
        BeginModification();
        // Data written before (rebase's copy) must be on disk before the header points elsewhere.
        FlushMetadata(markClean: false);
        var (oldName, oldFormat) = (BackingFilename, BackingFormat);
        var (oldOffset, oldSize) = (Header.BackingFileOffset, Header.BackingFileSize);
        SetBacking(backingFile, backingFormat);
        try
        {
            UpdateHeader();
        }
        catch (ImageException)
        {
            SetBacking(oldName, oldFormat);
            (Header.BackingFileOffset, Header.BackingFileSize) = (oldOffset, oldSize);
            throw new ImageException("No space left in the file header");
        }
        _file.Flush();
    }

    /// <summary>
    /// qcow2_co_truncate: grows the L1 table and the size (with preallocation of the new area), or shrinks,
    /// freeing every cluster past the new end first.
    /// </summary>
    public override void Resize(long newSize, Preallocation preallocation)
    {
        if (ReadOnly) throw NotWritable();
        if (newSize % 512 != 0)
            throw new ImageException("The new size must be a multiple of 512");
        if (Header.Version < 3 && SnapshotTable.Count > 0)
            throw new ImageException("Can't resize a v2 image which has snapshots");
        BeginModification();
        long old = VirtualSize;
        if (newSize < old)
        {
            if (preallocation != Preallocation.Off)
                throw new ImageException("Preallocation can only be used for growing images");
            long firstFreed = (newSize + ClusterSizeInt - 1) >> ClusterBits;
            UnmapFrom(firstFreed);
            FlushMetadata(markClean: false);
            SetVirtualSize(newSize);
            ResizeBitmaps(newSize);
            TruncateFreeTail();
            return;
        }
        GrowL1(L1EntriesFor(newSize));
        if (preallocation is Preallocation.Falloc or Preallocation.Full && !HasDataFile)
        {
            // qemu sizes the new refcount structures from the file's length, not from its last cluster in use
            PreallocateData(old, newSize, preallocation, (_file.Length + ClusterSizeInt - 1) / ClusterSizeInt * ClusterSizeInt);
        }
        else if (preallocation != Preallocation.Off)
        {
            PreallocateMetadata(old, newSize);
            ZeroPreallocatedClusters(old, newSize, preallocation);
        }
        FlushMetadata(markClean: false);
        SetVirtualSize(newSize);
        ResizeBitmaps(newSize);
    }

    /// <summary>
    /// qcow2_co_truncate's falloc/full path for guest range [<paramref name="oldLength"/>, <paramref name="newLength"/>):
    /// a new refcount table (and blocks) at <paramref name="oldFileSize"/> covering every cluster to come, the data
    /// clusters right after it (written as zeros or fallocated as the file grows), then the L2 entries, whose tables
    /// take the first free clusters (the old refcount table's, typically). A partial first cluster keeps its data.
    /// </summary>
    internal void PreallocateData(long oldLength, long newLength, Preallocation mode, long oldFileSize)
    {
        int cs = ClusterSizeInt;
        long guest = oldLength & ~(long)(cs - 1);
        long nbData = ((newLength + cs - 1) >> ClusterBits) - (guest >> ClusterBits);
        if (nbData <= 0) return;
        long nbL2 = (nbData + L2Entries - 1) / L2Entries + 1;
        byte[] head = new byte[oldLength - guest];
        if (head.Length > 0) ReadCore(guest, head);

        long allocationStart = Refcounts.RefcountArea(oldFileSize, nbData + nbL2, exactSize: true, 0, 0);
        Refcounts.Update(allocationStart, nbData * cs, 1, decrease: false);
        long newFileSize = allocationStart + nbData * cs;
        Refcounts.Cache.Flush();
        try
        {
            FileProtocol.Extend(_file, _file.Length, newFileSize, mode);
        }
        catch (Exception e) when (e is IOException or ImageException)
        {
            // as qemu: the data clusters go back (a failed grow leaves no refcount past the end of the file)
            Refcounts.Free(allocationStart, nbData * cs);
            Refcounts.Cache.Flush();
            throw;
        }
        if (head.Length > 0)
        {
            _file.Write(allocationStart, head);
            _file.Flush();
        }

        long host = allocationStart;
        var replaced = new List<ulong>();
        while (nbData > 0)
        {
            long ci = guest >> ClusterBits;
            int l2Index = (int)(ci & (L2Entries - 1));
            int n = (int)Math.Min(nbData, L2Entries - l2Index);
            long l2Offset = GetL2ForWrite(ci >> L2Bits);
            var l2 = L2Cache.Get(l2Offset);
            for (int i = 0; i < n; i++)
            {
                ulong before = GetEntry(l2, l2Index + i);
                if (before != 0) replaced.Add(before);
                SetEntry(l2, l2Index + i, (ulong)(host + ((long)i * cs)) | L2Entry.Copied, 0);
            }
            L2Cache.MarkDirty(l2Offset);
            guest += (long)n * cs;
            host += (long)n * cs;
            nbData -= n;
        }
        if (replaced.Count == 0) return;
        // as qcow2_alloc_cluster_link_l2: the entries are on disk before the clusters they replaced are freed
        L2Cache.Flush();
        foreach (ulong e in replaced) FreeAnyCluster(e, DiscardType.Other);
    }

    /// <summary>
    /// Preallocated clusters may reuse host space freed earlier, so their old bytes are cleared: written as
    /// zeros (full), or punched and reserved again (metadata, falloc) so that the new area reads as zeros.
    /// </summary>
    private void ZeroPreallocatedClusters(long from, long to, Preallocation mode)
    {
        for (long off = from; off < to;)
        {
            Run run = Resolve(off, to - off);
            if (run.Type == SubclusterType.Normal)
            {
                long host = run.HostOffset;
                if (mode == Preallocation.Full)
                {
                    _dataFile.WriteZeros(host, run.Length);
                }
                else
                {
                    _dataFile.ZeroRange(host, run.Length, deallocate: true);
                    if (mode == Preallocation.Falloc) _dataFile.Allocate(host, run.Length);
                }
            }
            off += Math.Max(run.Length, 1);
        }
    }

    /// <summary>After a shrink, cuts the image file after its last cluster in use, as qemu does.</summary>
    private void TruncateFreeTail()
    {
        long clusters = (_file.Length + ClusterSizeInt - 1) >> ClusterBits;
        long last = clusters - 1;
        while (last >= 0 && Refcounts.GetRefcount(last) == 0) last--;
        long end = (last + 1) << ClusterBits;
        if (end < _file.Length) _file.SetLength(end);
    }

    /// <summary>
    /// qcow2_make_empty: after a commit the top reads through to its backing file again. Every mapping is
    /// dropped; each L1 entry is cleared on disk before the clusters it referenced are freed, so a crash
    /// leaves at worst leaked clusters.
    /// </summary>
    public override void MakeEmpty()
    {
        if (ReadOnly) throw NotWritable();
        BeginModification();
        UnmapFrom(0);
        FlushMetadata(markClean: false);
        TruncateFreeTail();
    }

    /// <summary>Makes every cluster from guest cluster index <paramref name="firstCluster"/> on unallocated and frees its storage.</summary>
    private void UnmapFrom(long firstCluster)
    {
        for (long l1Index = firstCluster >> L2Bits; l1Index < L1.Length; l1Index++)
        {
            long l2Offset = L2OffsetFor(l1Index);
            if (l2Offset == 0) continue;
            int from = l1Index == firstCluster >> L2Bits ? (int)(firstCluster & (L2Entries - 1)) : 0;
            var l2 = L2Cache.Get(l2Offset);
            var freed = new List<ulong>();
            if (from == 0)
            {
                for (int i = 0; i < L2Entries; i++)
                {
                    ulong e = GetEntry(l2, i);
                    if (e != 0) freed.Add(e);
                }
                L1[l1Index] = 0;
                WriteL1Entry(l1Index);
                _file.Flush();
                foreach (var e in freed) FreeAnyCluster(e, DiscardType.Always);
                FreeHost(l2Offset, ClusterSizeInt, discard: true);
                continue;
            }
            l2 = LoadL2ForUpdate(l1Index);
            long writableL2 = L2OffsetFor(l1Index);
            for (int i = from; i < L2Entries; i++)
            {
                ulong e = GetEntry(l2, i);
                if (e == 0 && GetBitmap(l2, i) == 0) continue;
                SetEntry(l2, i, 0, 0);
                if (e != 0) freed.Add(e);
            }
            L2Cache.MarkDirty(writableL2);
            L2Cache.Flush();
            foreach (var e in freed) FreeAnyCluster(e, DiscardType.Always);
        }
    }

    /// <summary>The L2 table of an L1 entry, copied first if it is shared with a snapshot.</summary>
    private byte[] LoadL2ForUpdate(long l1Index)
    {
        long l2Offset = GetL2ForWrite(l1Index);
        return L2Cache.Get(l2Offset);
    }
}
