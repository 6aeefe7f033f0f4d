using System.Buffers.Binary;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// Writing. Ordering (what a crash can leave behind is at worst leaked clusters): new clusters get their refcount in
/// the refcount-block cache first; guest data is written straight to the file; L2 entries change in the L2 cache,
/// and the L2 cache never writes a table before flushing the refcount-block cache; a new L2 table is written before
/// the L1 entry that points to it. We do not fsync between these steps (like qemu-img with cache=unsafe/writeback
/// between flushes); <see cref="Flush"/> and Dispose write the caches and fsync.
/// </summary>
public sealed partial class Qcow2Device
{
    private bool _modified;

    /// <summary>
    /// Before the first change: persistent bitmaps are loaded and marked in_use (see Qcow2Device.Bitmaps.cs), and
    /// unknown autoclear bits are cleared, as the spec asks of programs that do not know them.
    /// </summary>
    private void BeginModification()
    {
        if (_modified) return;
        LoadBitmapsForWrite();
        _modified = true;
        ulong keep = Header.AutoclearFeatures & Qcow2Header.AutoclearKnown;
        if (Header.Version >= 3 && keep != Header.AutoclearFeatures)
        {
            Header.AutoclearFeatures = keep;
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(b, keep);
            _file.Write(88, b);
            _file.Flush();
        }
    }

    protected override void WriteCore(long offset, ReadOnlySpan<byte> src)
    {
        BeginModification();
        MarkBitmapsDirty(offset, src.Length);
        while (src.Length > 0)
        {
            int n = WriteChunk(offset, src);
            offset += n;
            src = src[n..];
        }
    }

    private bool NeedsNewCluster(ulong entry) =>
        (entry & L2Entry.CompressedFlag) != 0 ||
        (entry & L2Entry.Copied) == 0 ||
        ((entry & L2Entry.OffsetMask) == 0 && !HasDataFile);

    /// <summary>Writes the part of [offset, offset+src) that lies in one L2 table and one allocation kind.</summary>
    private int WriteChunk(long offset, ReadOnlySpan<byte> src)
    {
        int cs = ClusterSizeInt;
        long ci = offset >> ClusterBits;
        int l2Index = (int)(ci & (L2Entries - 1));
        long l1Index = ci >> L2Bits;
        long inCluster = offset & (cs - 1);
        long max = Math.Min(src.Length, ((long)(L2Entries - l2Index) << ClusterBits) - inCluster);
        int nbClusters = (int)((inCluster + max + cs - 1) >> ClusterBits);

        long l2Offset = GetL2ForWrite(l1Index);
        var l2 = L2Cache.Get(l2Offset);
        ulong first = GetEntry(l2, l2Index);
        bool alloc = NeedsNewCluster(first);
        long firstHost = (long)(first & L2Entry.OffsetMask);
        int k = 1;
        while (k < nbClusters)
        {
            ulong e = GetEntry(l2, l2Index + k);
            if (NeedsNewCluster(e) != alloc) break;
            if (!alloc && (long)(e & L2Entry.OffsetMask) != firstHost + ((long)k << ClusterBits)) break;
            k++;
        }
        long n = Math.Min(max, ((long)k << ClusterBits) - inCluster);
        long guestStart = ci << ClusterBits;

        // The region written to the host: whole units (subclusters) around [offset, offset+n); whole clusters
        // when a new cluster replaces one whose other subclusters carry data.
        int unit = 1 << SubclusterBits;
        long regionStart = offset & ~(long)(unit - 1);
        long regionEnd = (offset + n + unit - 1) & ~(long)(unit - 1);
        regionEnd = Math.Min(regionEnd, guestStart + ((long)k << ClusterBits));
        if (alloc && Extended)
        {
            for (int i = 0; i < k; i++)
            {
                ulong e = GetEntry(l2, l2Index + i);
                if ((e & L2Entry.OffsetMask) != 0 || (e & L2Entry.CompressedFlag) != 0)
                {
                    regionStart = guestStart;
                    regionEnd = guestStart + ((long)k << ClusterBits);
                    break;
                }
            }
        }
        else if (alloc)
        {
            regionStart = guestStart;
            regionEnd = guestStart + ((long)k << ClusterBits);
        }
        // A zero-flagged (or, extended, non-normal) unit written in place must be filled whole too.
        bool needsHead = regionStart < offset && (alloc || !UnitIsNormal(l2, l2Index, regionStart));
        bool needsTail = regionEnd > offset + n && (alloc || !UnitIsNormal(l2, l2Index + (int)((regionEnd - 1 - guestStart) >> ClusterBits), regionEnd - unit));
        if (!needsHead) regionStart = Math.Max(regionStart, offset);
        if (!needsTail) regionEnd = Math.Min(regionEnd, offset + n);
        if (!alloc && !Extended && (first & L2Entry.ZeroFlag) == 0)
        {
            regionStart = offset;
            regionEnd = offset + n;
        }

        long host;
        bool freshPastEof = false;
        if (alloc)
        {
            MarkDirtyIfLazy();
            long endBefore = _dataFile.Length;
            host = HasDataFile ? guestStart : Refcounts.AllocClusters((long)k << ClusterBits);
            freshPastEof = !HasDataFile && host >= endBefore;
        }
        else
        {
            host = firstHost;
            // A run may end at most one cluster past EOF (a last cluster that was never fully written).
            if (HasDataFile ? host != guestStart : host + ((long)k << ClusterBits) > _file.Length + cs)
                throw new ImageCorruptException($"'{Filename}': data cluster at host offset {AltHex.Of(host)} (guest offset {AltHex.Of(guestStart)}) lies outside the {(HasDataFile ? "expected data file position" : "file")}");
        }

        ReadOnlySpan<byte> data;
        byte[]? buffer = null;
        if (regionStart == offset && regionEnd == offset + n)
        {
            data = src[..(int)n];
        }
        else if (freshPastEof && !Extended && !IsEncrypted && Backing is null && BackingFilename is null && ReadsAsZeros(L2Cache.Get(l2Offset), l2Index, k))
        {
            // New clusters past the old end of the file, nothing behind them: the untouched head and tail read as
            // zeros without being written, so only the guest data goes out (as qemu does).
            regionStart = offset;
            regionEnd = offset + n;
            data = src[..(int)n];
        }
        else
        {
            // A pooled buffer: a fresh array per partial-cluster write costs a page fault per 4 KiB (convert of a
            // filesystem image issues thousands of them).
            int regionLength = (int)(regionEnd - regionStart);
            buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(regionLength);
            var region = buffer.AsSpan(0, regionLength);
            if (offset > regionStart)
                ReadCurrent(regionStart, region[..(int)(offset - regionStart)]);
            if (regionEnd > offset + n)
                ReadCurrent(offset + n, region[(int)(offset + n - regionStart)..]);
            src[..(int)n].CopyTo(region[(int)(offset - regionStart)..]);
            data = region;
        }

        try
        {
            // New clusters past the old end of the file read as zeros where nothing is written, so when the copied
            // head and tail are zeros only the guest data is written (as qemu does): no zero bytes through the page cache.
            // (Not when encrypted: a host zero reads as garbage, so the head and tail are written encrypted.)
            if (freshPastEof && buffer is not null && !Extended && !IsEncrypted &&
                !data[..(int)(offset - regionStart)].ContainsAnyExcept((byte)0) &&
                !data[(int)(offset + n - regionStart)..].ContainsAnyExcept((byte)0))
                WriteGuestData(host + (offset - guestStart), offset, src[..(int)n]);
            else
                WriteGuestData(host + (regionStart - guestStart), regionStart, data);
        }
        catch (ImageException) when (alloc && !HasDataFile)
        {
            // qcow2_alloc_cluster_abort: clusters whose data never arrived are not referenced, so give them back
            // (a full disk must not leave the image leaking clusters).
            Refcounts.Free(host, (long)k << ClusterBits);
            throw;
        }
        finally
        {
            if (buffer is not null) System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }

        l2 = L2Cache.Get(l2Offset);
        var freed = new List<ulong>();
        bool changed = false;
        for (int i = 0; i < k; i++)
        {
            ulong e = GetEntry(l2, l2Index + i);
            ulong bitmap = GetBitmap(l2, l2Index + i);
            long cStart = guestStart + ((long)i << ClusterBits);
            long wFrom = Math.Max(regionStart, cStart) - cStart;
            long wTo = Math.Min(regionEnd, cStart + cs) - cStart;
            ulong ne, nb = bitmap;
            if (alloc)
            {
                if (e != 0 && (e & L2Entry.OffsetMask) != 0 || (e & L2Entry.CompressedFlag) != 0)
                    freed.Add(e);
                ne = (ulong)(host + ((long)i << ClusterBits)) | L2Entry.Copied;
            }
            else
            {
                ne = e & ~L2Entry.ZeroFlag;
            }
            if (Extended)
            {
                if (alloc && ((e & L2Entry.OffsetMask) != 0 || (e & L2Entry.CompressedFlag) != 0)) nb = 0;
                int fs = (int)(wFrom >> SubclusterBits), ls = (int)((wTo - 1) >> SubclusterBits);
                ulong range = ls - fs + 1 == 32 ? 0xFFFF_FFFFUL : (((1UL << (ls - fs + 1)) - 1) << fs);
                nb = (nb | range) & ~(range << 32);
                ne = alloc ? ne : e;
            }
            if (ne != e || nb != bitmap)
            {
                SetEntry(l2, l2Index + i, ne, nb);
                changed = true;
            }
        }
        if (changed) L2Cache.MarkDirty(l2Offset);
        foreach (var e in freed)
            FreeAnyCluster(e, DiscardType.Other);
        return (int)n;
    }

    /// <summary>Whether clusters [index, index+count) of an L2 table map nothing (unallocated or plain zero): they read as zeros without a backing file.</summary>
    private bool ReadsAsZeros(byte[] l2, int index, int count)
    {
        for (int i = 0; i < count; i++)
        {
            ulong e = GetEntry(l2, index + i);
            if ((e & L2Entry.OffsetMask) != 0 || (e & L2Entry.CompressedFlag) != 0)
                return false;
        }
        return true;
    }

    private bool UnitIsNormal(byte[] l2, int index, long unitGuestOffset)
    {
        ulong e = GetEntry(l2, index);
        int sc = (int)((unitGuestOffset & (ClusterSizeInt - 1)) >> SubclusterBits);
        return L2Entry.Type(e, GetBitmap(l2, index), sc, Extended, HasDataFile) == SubclusterType.Normal;
    }

    /// <summary>The guest content of this image now (used to fill the untouched part of a newly written unit).</summary>
    private void ReadCurrent(long offset, Span<byte> dest)
    {
        long avail = Math.Max(0, VirtualSize - offset);
        int n = (int)Math.Min(avail, dest.Length);
        if (n > 0) Read(offset, dest[..n]);
        dest[n..].Clear();
    }

    /// <summary>get_cluster_table: the L2 table for <paramref name="l1Index"/>, allocated (or copied when shared) if needed.</summary>
    internal long GetL2ForWrite(long l1Index)
    {
        if (l1Index >= L1.Length)
            throw new ImageCorruptException($"'{Filename}': L1 index {l1Index} outside the L1 table ({L1.Length} entries)");
        ulong l1e = L1[l1Index];
        long old = L2OffsetFor(l1Index);
        if (old != 0 && (l1e & L2Entry.Copied) != 0)
        {
            LoadL2(old, l1Index);
            return old;
        }
        MarkDirtyIfLazy();
        int cs = ClusterSizeInt;
        long l2Offset = Refcounts.AllocClusters(cs);
        Refcounts.Cache.Flush();
        if (old != 0)
        {
            var src = (byte[])LoadL2(old, l1Index).Clone();
            var dst = L2Cache.GetEmpty(l2Offset);
            src.CopyTo(dst, 0);
        }
        else
        {
            L2Cache.GetEmpty(l2Offset);
        }
        try
        {
            L2Cache.Flush();
        }
        catch (ImageException)
        {
            // l2_allocate's failure path: the table never reached the disk and nothing points at it yet.
            L2Cache.Discard(l2Offset);
            Refcounts.Free(l2Offset, cs);
            throw;
        }
        Barrier(); // the new L2 table is durable before the L1 entry points at it
        L1[l1Index] = (ulong)l2Offset | L2Entry.Copied;
        WriteL1Entry(l1Index);
        if (old != 0)
            Refcounts.Free(old, cs);
        return l2Offset;
    }

    /// <summary>qcow2_write_l1_entry: writes the 512-byte group of L1 entries containing the index.</summary>
    private void WriteL1Entry(long l1Index)
    {
        long start = l1Index & ~63L;
        int count = (int)Math.Min(64, L1.Length - start);
        var buf = new byte[count * 8];
        for (int i = 0; i < count; i++)
            BinaryPrimitives.WriteUInt64BigEndian(buf.AsSpan(i * 8), L1[start + i]);
        EnsureNoOverlap(OverlapActiveL1, (long)Header.L1TableOffset + start * 8, buf.Length);
        _file.Write((long)Header.L1TableOffset + start * 8, buf);
    }

    /// <summary>
    /// Guest data (at guest <paramref name="guestOffset"/>) to its host clusters; inside the image file, never over
    /// metadata (qemu checks every data write). An encrypted image's data is encrypted on the way, in pieces of at
    /// most <see cref="EncryptBatchBytes"/>.
    /// </summary>
    private void WriteGuestData(long host, long guestOffset, ReadOnlySpan<byte> data)
    {
        if (!HasDataFile)
            EnsureNoOverlap(0, host, data.Length);
        if (!IsEncrypted)
        {
            _dataFile.Write(host, data);
            return;
        }
        var crypto = Crypto;
        byte[] buf = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Min(data.Length, EncryptBatchBytes));
        try
        {
            for (int done = 0; done < data.Length; done += EncryptBatchBytes)
            {
                var piece = buf.AsSpan(0, Math.Min(EncryptBatchBytes, data.Length - done));
                data.Slice(done, piece.Length).CopyTo(piece);
                crypto.Encrypt(guestOffset + done, host + done, piece);
                _dataFile.Write(host + done, piece);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buf, clearArray: true);
        }
    }

    private const int EncryptBatchBytes = 1 << 20;

    /// <summary>
    /// qcow2_free_any_cluster: drops one reference to the cluster(s) an L2 entry names. Host clusters whose refcount
    /// reaches zero are punched out of the file when the discard type passes through (qemu's discard_passthrough:
    /// always for shrinking and emptying, for guest requests only when opened with BDRV_O_UNMAP, never otherwise);
    /// with an external data file the data cluster itself is discarded there.
    /// </summary>
    private void FreeAnyCluster(ulong entry, DiscardType type)
    {
        bool passthrough = type switch
        {
            DiscardType.Always => true,
            DiscardType.Request => _unmap,
            _ => false,
        };
        if ((entry & L2Entry.CompressedFlag) != 0)
        {
            var d = CompressedDescriptor.Decode(entry, ClusterBits);
            long start = d.HostOffset & ~511L;
            FreeHost(start, (d.HostOffset + d.Length) - start, passthrough);
            return;
        }
        long off = (long)(entry & L2Entry.OffsetMask);
        if (off == 0) return;
        if (HasDataFile)
        {
            if (passthrough) _dataFile.ZeroRange(off, ClusterSizeInt, deallocate: true);
            return;
        }
        FreeHost(off, ClusterSizeInt, passthrough);
    }

    /// <summary>Frees host clusters; with <paramref name="discard"/> those no longer referenced are punched out.</summary>
    private void FreeHost(long offset, long length, bool discard)
    {
        _discardFreed = discard;
        try
        {
            Refcounts.Free(offset, length);
        }
        finally
        {
            _discardFreed = false;
        }
    }

    /// <summary>qemu's enum qcow2_discard_type: why clusters are freed, which decides whether the file sees a discard.</summary>
    private enum DiscardType
    {
        /// <summary>Shrinking and emptying the image: always discarded.</summary>
        Always,

        /// <summary>A guest discard or an unmapping zero write: discarded when opened with BDRV_O_UNMAP.</summary>
        Request,

        /// <summary>Anything else (a compressed cluster rewritten): never discarded.</summary>
        Other,
    }

    private void MarkDirtyIfLazy()
    {
        if ((Header.CompatibleFeatures & Qcow2Header.CompatLazyRefcounts) == 0 || IsDirty) return;
        Refcounts.Cache.Flush();
        Header.IncompatibleFeatures |= Qcow2Header.IncompatDirty;
        WriteIncompatibleFeatures();
        _file.Flush();
        _dirtySetByUs = true;
    }

    private void WriteIncompatibleFeatures()
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, Header.IncompatibleFeatures);
        _file.Write(72, b);
    }

    // ---------------------------------------------------------------- zeroes and discard

    protected override void WriteZeroesCore(long offset, long length, WriteZeroesFlags flags)
    {
        BeginModification();
        MarkBitmapsDirty(offset, length);
        if (HasDataFile && (Header.AutoclearFeatures & Qcow2Header.AutoclearDataFileRaw) != 0)
            _dataFile.ZeroRange(offset, length, deallocate: false);
        if (Header.Version < 3)
        {
            base.WriteZeroesCore(offset, length, flags);
            return;
        }
        int unit = 1 << SubclusterBits;
        long end = offset + length;
        long alignedStart = (offset + unit - 1) & ~(long)(unit - 1);
        long alignedEnd = end == VirtualSize ? end : end & ~(long)(unit - 1);
        if (alignedEnd <= alignedStart)
        {
            base.WriteZeroesCore(offset, length, flags);
            return;
        }
        if (alignedStart > offset) base.WriteZeroesCore(offset, alignedStart - offset, flags);
        long pos = alignedStart;
        while (pos < alignedEnd)
            pos += ZeroInL2(pos, alignedEnd - pos, (flags & WriteZeroesFlags.MayUnmap) != 0);
        if (end > alignedEnd) base.WriteZeroesCore(alignedEnd, end - alignedEnd, flags);
    }

    /// <summary>zero_in_l2_slice / zero_l2_subclusters for [offset, offset+length) within one L2 table.</summary>
    private long ZeroInL2(long offset, long length, bool mayUnmap)
    {
        int cs = ClusterSizeInt;
        long ci = offset >> ClusterBits;
        int l2Index = (int)(ci & (L2Entries - 1));
        long inCluster = offset & (cs - 1);
        if (inCluster != 0 || length < cs && offset + length != VirtualSize)
        {
            // Part of one cluster (extended L2, subcluster aligned).
            long n = Math.Min(length, cs - inCluster);
            long l2o = GetL2ForWrite(ci >> L2Bits);
            var t = L2Cache.Get(l2o);
            ulong e = GetEntry(t, l2Index);
            if (!Extended || (e & L2Entry.CompressedFlag) != 0)
            {
                base.WriteZeroesCore(offset, n, WriteZeroesFlags.None);
                return n;
            }
            int fs = (int)(inCluster >> SubclusterBits);
            int cnt = (int)((n + (1 << SubclusterBits) - 1) >> SubclusterBits);
            ulong range = cnt == 32 ? 0xFFFF_FFFFUL : (((1UL << cnt) - 1) << fs);
            ulong bm = GetBitmap(t, l2Index);
            ulong nb = (bm | (range << 32)) & ~range;
            if (nb != bm)
            {
                SetEntry(t, l2Index, e, nb);
                L2Cache.MarkDirty(l2o);
            }
            return n;
        }
        long whole = offset + length == VirtualSize ? (length + cs - 1) >> ClusterBits : length >> ClusterBits;
        int nbClusters = (int)Math.Min(whole, L2Entries - l2Index);
        long l2Offset = GetL2ForWrite(ci >> L2Bits);
        var l2 = L2Cache.Get(l2Offset);
        var freed = new List<ulong>();
        for (int i = 0; i < nbClusters; i++)
        {
            ulong old = GetEntry(l2, l2Index + i);
            ulong oldBm = GetBitmap(l2, l2Index + i);
            var type = L2Entry.ClusterType(old, HasDataFile);
            bool allocated = type is SubclusterType.Normal or SubclusterType.ZeroAlloc or SubclusterType.Compressed;
            bool unmap = type == SubclusterType.Compressed || (mayUnmap && allocated);
            ulong ne = unmap ? 0 : old;
            ulong nb = oldBm;
            if (Extended) nb = L2Entry.AllZeroes; else ne |= L2Entry.ZeroFlag;
            if (ne == old && nb == oldBm) continue;
            SetEntry(l2, l2Index + i, ne, nb);
            L2Cache.MarkDirty(l2Offset);
            if (unmap) freed.Add(old);
        }
        foreach (var e in freed) FreeAnyCluster(e, DiscardType.Request);
        return Math.Min(length, (long)nbClusters << ClusterBits);
    }

    protected override void DiscardCore(long offset, long length)
    {
        BeginModification();
        MarkBitmapsDirty(offset, length);
        int cs = ClusterSizeInt;
        long start = (offset + cs - 1) & ~(long)(cs - 1);
        long end = offset + length == VirtualSize ? offset + length : (offset + length) & ~(long)(cs - 1);
        while (start < end)
        {
            long ci = start >> ClusterBits;
            int l2Index = (int)(ci & (L2Entries - 1));
            int nbClusters = (int)Math.Min((end - start + cs - 1) >> ClusterBits, L2Entries - l2Index);
            long l2Offset = GetL2ForWrite(ci >> L2Bits);
            var l2 = L2Cache.Get(l2Offset);
            var freed = new List<ulong>();
            for (int i = 0; i < nbClusters; i++)
            {
                ulong old = GetEntry(l2, l2Index + i);
                ulong oldBm = GetBitmap(l2, l2Index + i);
                var type = L2Entry.ClusterType(old, HasDataFile);
                bool allocated = type is SubclusterType.Normal or SubclusterType.ZeroAlloc or SubclusterType.Compressed;
                ulong ne = old, nb = oldBm;
                if (Backing is not null || BackingFilename is not null || allocated)
                {
                    if (Extended) { ne = 0; nb = L2Entry.AllZeroes; }
                    else ne = Header.Version >= 3 ? L2Entry.ZeroFlag : 0;
                }
                if (ne == old && nb == oldBm) continue;
                SetEntry(l2, l2Index + i, ne, nb);
                L2Cache.MarkDirty(l2Offset);
                freed.Add(old);
            }
            foreach (var e in freed) FreeAnyCluster(e, DiscardType.Request);
            start += (long)nbClusters << ClusterBits;
        }
    }

    // ---------------------------------------------------------------- flushing

    public override void Flush()
    {
        if (ReadOnly) return;
        FlushMetadata(markClean: false);
    }

    /// <summary>A write barrier between dependent metadata updates (fsync; nothing under cache=unsafe).</summary>
    private void Barrier()
    {
        if (HasDataFile) _dataFile.Flush();
        _file.Flush();
    }

    internal void FlushMetadata(bool markClean)
    {
        L2Cache.Flush();
        Refcounts.Cache.Flush();
        if (markClean && _dirtySetByUs)
        {
            _file.Flush();
            Header.IncompatibleFeatures &= ~Qcow2Header.IncompatDirty;
            WriteIncompatibleFeatures();
            _dirtySetByUs = false;
        }
        _file.Flush();
        if (HasDataFile) _dataFile.Flush();
    }

    // ---------------------------------------------------------------- growing (create)

    /// <summary>qcow2_grow_l1_table with exact size.</summary>
    internal void GrowL1(long minSize)
    {
        if (minSize <= L1.Length) return;
        if (minSize > MaxL1Bytes / 8)
            throw new ImageException("Failed to grow the L1 table: File too large") { Errno = SnapshotException.EFBIG };
        var table = new ulong[minSize];
        Array.Copy(L1, table, L1.Length);
        long bytes = minSize * 8;
        long newOffset = Refcounts.AllocClusters(bytes);
        Refcounts.Cache.Flush();
        var buf = new byte[bytes];
        for (int i = 0; i < table.Length; i++)
            BinaryPrimitives.WriteUInt64BigEndian(buf.AsSpan(i * 8), table[i]);
        EnsureNoOverlap(0, newOffset, bytes);
        _file.Write(newOffset, buf);
        Span<byte> d = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(d, (uint)minSize);
        BinaryPrimitives.WriteUInt64BigEndian(d[4..], (ulong)newOffset);
        _file.Write(36, d);
        long oldOffset = (long)Header.L1TableOffset;
        long oldSize = L1.Length;
        L1 = table;
        Header.L1TableOffset = (ulong)newOffset;
        Header.L1Size = (uint)minSize;
        if (oldSize > 0)
            Refcounts.Free(oldOffset, oldSize * 8);
    }

    /// <summary>Sets the header's size field (qcow2_co_truncate's header update).</summary>
    internal void SetVirtualSize(long size)
    {
        Span<byte> d = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(d, (ulong)size);
        _file.Write(24, d);
        Header.Size = (ulong)size;
    }

    /// <summary>preallocate_co: allocates L2 tables and data clusters (not written) for [from, to).</summary>
    internal void PreallocateMetadata(long from, long to)
    {
        int cs = ClusterSizeInt;
        long lastHost = 0, lastBytes = 0;
        long offset = from;
        while (offset < to)
        {
            long ci = offset >> ClusterBits;
            int l2Index = (int)(ci & (L2Entries - 1));
            long inCluster = offset & (cs - 1);
            long l2Offset = GetL2ForWrite(ci >> L2Bits);
            int nb = (int)Math.Min((to - offset + inCluster + cs - 1) >> ClusterBits, L2Entries - l2Index);
            var l2 = L2Cache.Get(l2Offset);
            int k = 0;
            while (k < nb && GetEntry(l2, l2Index + k) == 0) k++;
            long bytes = Math.Min(to - offset, ((long)nb << ClusterBits) - inCluster);
            if (k == 0)
            {
                offset += Math.Min(bytes, cs - inCluster);
                continue;
            }
            long guestStart = ci << ClusterBits;
            long host = HasDataFile ? guestStart : Refcounts.AllocClusters((long)k << ClusterBits);
            l2 = L2Cache.Get(l2Offset);
            for (int i = 0; i < k; i++)
                SetEntry(l2, l2Index + i, (ulong)(host + ((long)i << ClusterBits)) | L2Entry.Copied, GetBitmap(l2, l2Index + i));
            L2Cache.MarkDirty(l2Offset);
            long done = Math.Min(bytes, ((long)k << ClusterBits) - inCluster);
            lastHost = host;
            lastBytes = (long)k << ClusterBits;
            offset += done;
        }
        if (lastHost + lastBytes > _dataFile.Length)
            _dataFile.SetLength(lastHost + lastBytes);
    }
}
