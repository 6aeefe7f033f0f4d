using ImageBuild.Engine.Block;
using System.Buffers.Binary;
using System.Text;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// Persistent dirty bitmaps while the image is written (qemu's block/qcow2-bitmap.c). Before the first change the
/// consistent bitmaps are loaded into memory and marked in_use on disk (the directory rewritten in place with the
/// autoclear bit cleared around it); enabled bitmaps record every guest write, zero write and discard; on close
/// every loaded bitmap is written to new clusters with a new table, a new directory is written, the header is
/// switched to it and only then are the old tables, data clusters and directory freed. Bitmaps already in_use
/// when the image was opened are inconsistent: carried over unchanged.
/// </summary>
public sealed partial class Qcow2Device
{
    /// <summary>One directory slot in order: its current on-disk entry (null when added this session) and, when loaded, its bits.</summary>
    private sealed class BitmapSlot(BitmapDirectoryEntry? disk, DirtyBitmap? live)
    {
        public BitmapDirectoryEntry? Disk { get; set; } = disk;
        public DirtyBitmap? Live { get; } = live;
        public string Name => Live?.Name ?? Disk!.Name;
    }

    private List<BitmapSlot>? _bitmapSlots;

    /// <summary>Whether the persistent bitmaps are loaded for writing (in_use set on disk).</summary>
    internal bool BitmapsLoaded => _bitmapSlots is not null;

    /// <summary>qcow2_load_dirty_bitmaps for a read-write open: loads the consistent bitmaps and marks them in_use.</summary>
    public void LoadBitmapsForWrite()
    {
        if (_bitmapSlots is not null || ReadOnly) return;
        var slots = new List<BitmapSlot>();
        foreach (var e in Bitmaps)
        {
            if (!e.IsValid(ClusterBits))
                throw new ImageException($"Bitmap '{e.Name}' has invalid parameters; run 'imagebuild check -r all' or remove it with 'imagebuild bitmap --remove'");
            if ((e.Flags & BitmapDirectoryEntry.FlagInUse) != 0)
            {
                slots.Add(new BitmapSlot(e, null));
                continue;
            }
            if (e.ExtraData.Length > 0 && (e.Flags & BitmapDirectoryEntry.FlagExtraDataCompatible) == 0)
                throw new ImageException($"Bitmap '{e.Name}' has unknown extra data and cannot be updated");
            slots.Add(new BitmapSlot(e, LoadBitmap(e)));
        }
        _bitmapSlots = slots;
        if (slots.Exists(s => s.Live is not null))
        {
            // The autoclear bit is clear while the directory is rewritten, so a crash leaves the bitmaps marked
            // inconsistent rather than half-written.
            SetAutoclearBitmaps(false);
            var entries = slots.Select(s => s.Live is null ? s.Disk! : s.Disk! with { Flags = s.Disk!.Flags | BitmapDirectoryEntry.FlagInUse }).ToList();
            var dir = BitmapDirectoryEntry.BuildDirectory(entries);
            EnsureNoOverlap(OverlapBitmapDirectory, (long)BitmapExtension!.Value.Offset, dir.Length);
            _file.Write((long)BitmapExtension!.Value.Offset, dir);
            _file.Flush();
            ReplaceDirectoryEntries(entries, slots);
            SetAutoclearBitmaps(true);
        }
    }

    /// <summary>load_bitmap: the table, then each data cluster (or an all-zeros / all-ones range).</summary>
    private DirtyBitmap LoadBitmap(BitmapDirectoryEntry e)
    {
        var bm = new DirtyBitmap(e.Name, e.GranularityBits, VirtualSize, (e.Flags & BitmapDirectoryEntry.FlagAuto) != 0);
        long needed = TableSizeFor(bm.Bits.Length);
        if (e.TableSize != needed)
            throw new ImageException($"Bitmap '{e.Name}' is inconsistent: its table has {e.TableSize} entries, the image size needs {needed}");
        var table = BitmapTable.Read(_file, (long)e.TableOffset, e.TableSize, ClusterBits, e.Name);
        int cs = ClusterSizeInt;
        var cluster = new byte[cs];
        for (int i = 0; i < table.Length; i++)
        {
            long start = (long)i * cs;
            int n = (int)Math.Min(cs, bm.Bits.Length - start);
            ulong off = table[i] & BitmapTable.OffsetMask;
            if (off == 0)
            {
                bm.Bits.AsSpan((int)start, n).Fill((table[i] & BitmapTable.AllOnes) != 0 ? (byte)0xFF : (byte)0);
                continue;
            }
            if ((long)off + cs > _file.Length)
                throw new ImageCorruptException($"'{Filename}': data cluster of bitmap '{e.Name}' at offset {off:#x} lies past the end of the file");
            _file.Read((long)off, cluster);
            cluster.AsSpan(0, n).CopyTo(bm.Bits.AsSpan((int)start));
        }
        bm.Resize(VirtualSize); // clears any bits past the end
        return bm;
    }

    private long TableSizeFor(long bitmapBytes) => (bitmapBytes + ClusterSizeInt - 1) >> ClusterBits;

    /// <summary>bdrv_set_dirty: every enabled bitmap records the guest range.</summary>
    private void MarkBitmapsDirty(long offset, long length)
    {
        if (_bitmapSlots is null) return;
        foreach (var s in _bitmapSlots)
            if (s.Live is { Enabled: true } bm) bm.SetDirty(offset, length);
    }

    /// <summary>bdrv_dirty_bitmap_truncate: loaded bitmaps follow the new virtual size.</summary>
    private void ResizeBitmaps(long newSize)
    {
        if (_bitmapSlots is null) return;
        foreach (var s in _bitmapSlots)
            s.Live?.Resize(newSize);
    }

    /// <summary>qcow2_store_persistent_dirty_bitmaps: writes every loaded bitmap anew, then the directory, then frees the old clusters.</summary>
    internal void StoreBitmaps()
    {
        if (_bitmapSlots is null || !_bitmapSlots.Exists(s => s.Live is not null)) return;
        var dropTables = new List<BitmapDirectoryEntry>();
        var entries = new List<BitmapDirectoryEntry>();
        foreach (var s in _bitmapSlots)
        {
            if (s.Live is not { } bm)
            {
                entries.Add(s.Disk!);
                continue;
            }
            if (s.Disk is { } old && old.TableOffset != 0)
                dropTables.Add(old);
            var (tableOffset, tableSize) = WriteBitmapData(bm);
            entries.Add(new BitmapDirectoryEntry(tableOffset, tableSize, bm.Enabled ? BitmapDirectoryEntry.FlagAuto : 0,
                BitmapDirectoryEntry.TypeDirtyTracking, (byte)bm.GranularityBits, bm.Name));
        }
        WriteDirectory(entries);
        foreach (var t in dropTables)
            FreeBitmapClusters(t);
        _bitmapSlots = null;
    }

    /// <summary>store_bitmap: one data cluster for every bitmap cluster with a set bit, then the table.</summary>
    private (ulong Offset, uint Size) WriteBitmapData(DirtyBitmap bm)
    {
        int cs = ClusterSizeInt;
        long tableSize = TableSizeFor(bm.Bits.Length);
        var table = new ulong[tableSize];
        var buf = new byte[cs];
        for (long i = 0; i < tableSize; i++)
        {
            long start = i * cs;
            int n = (int)Math.Min(cs, bm.Bits.Length - start);
            var part = bm.Bits.AsSpan((int)start, n);
            if (!part.ContainsAnyExcept((byte)0)) continue;
            long off = Refcounts.AllocClusters(cs);
            Array.Clear(buf);
            part.CopyTo(buf);
            Refcounts.Cache.Flush();
            EnsureNoOverlap(0, off, cs);
            _file.Write(off, buf);
            table[i] = (ulong)off;
        }
        long tableOffset = Refcounts.AllocClusters(tableSize * 8);
        Refcounts.Cache.Flush();
        EnsureNoOverlap(0, tableOffset, tableSize * 8);
        _file.Write(tableOffset, BitmapTable.Serialize(table));
        return ((ulong)tableOffset, (uint)tableSize);
    }

    /// <summary>update_ext_header_and_dir: a new directory (or none), the header pointing at it, then the old one freed.</summary>
    private void WriteDirectory(List<BitmapDirectoryEntry> entries)
    {
        var old = BitmapExtension;
        if (entries.Count > 0)
        {
            var dir = BitmapDirectoryEntry.BuildDirectory(entries);
            if (dir.Length > BitmapDirectoryEntry.MaxDirectorySize || entries.Count > BitmapDirectoryEntry.MaxBitmaps)
                throw new ImageException("Bitmap directory is too large");
            long offset = Refcounts.AllocClusters(dir.Length);
            Refcounts.Cache.Flush();
            EnsureNoOverlap(0, offset, dir.Length);
            _file.Write(offset, dir);
            FlushMetadata(markClean: false);
            Header.AutoclearFeatures |= Qcow2Header.AutoclearBitmaps;
            BitmapExtension = ((ulong)offset, (ulong)dir.Length, (uint)entries.Count);
        }
        else
        {
            Header.AutoclearFeatures &= ~Qcow2Header.AutoclearBitmaps;
            BitmapExtension = null;
        }
        Bitmaps.Clear();
        Bitmaps.AddRange(entries);
        UpdateHeader();
        _file.Flush();
        if (old is { Size: > 0 } o)
            Refcounts.Free((long)o.Offset, (long)o.Size);
    }

    /// <summary>free_bitmap_clusters: the data clusters a table points to, then the table.</summary>
    private void FreeBitmapClusters(BitmapDirectoryEntry e)
    {
        var table = BitmapTable.Read(_file, (long)e.TableOffset, e.TableSize, ClusterBits, e.Name);
        foreach (ulong t in table)
        {
            long off = (long)(t & BitmapTable.OffsetMask);
            if (off == 0) continue;
            Refcounts.Free(off, ClusterSizeInt);
            // qemu frees bitmap data with QCOW2_DISCARD_ALWAYS: the host range is discarded once unreferenced.
            if (Refcounts.GetRefcount(off >> ClusterBits) == 0)
            {
                Refcounts.Cache.Flush();
                _file.ZeroRange(off, ClusterSizeInt, deallocate: true);
            }
        }
        Refcounts.Free((long)e.TableOffset, (long)e.TableSize * 8);
    }

    private void ReplaceDirectoryEntries(List<BitmapDirectoryEntry> entries, List<BitmapSlot> slots)
    {
        Bitmaps.Clear();
        Bitmaps.AddRange(entries);
        for (int i = 0; i < slots.Count; i++) slots[i].Disk = entries[i];
    }

    private void SetAutoclearBitmaps(bool on)
    {
        Header.AutoclearFeatures = on ? Header.AutoclearFeatures | Qcow2Header.AutoclearBitmaps : Header.AutoclearFeatures & ~Qcow2Header.AutoclearBitmaps;
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, Header.AutoclearFeatures);
        _file.Write(88, b);
        _file.Flush();
    }

    // ---------------------------------------------------------------- qemu-img bitmap operations

    private BitmapSlot FindBitmap(string name) =>
        _bitmapSlots!.Find(s => s.Name == name) ?? throw new ImageException($"Dirty bitmap '{name}' not found");

    private static void CheckUsable(BitmapSlot s)
    {
        if (s.Live is null)
            throw new ImageException($"Bitmap '{s.Name}' is inconsistent and cannot be used\nTry block-dirty-bitmap-remove to delete this bitmap from disk");
    }

    /// <summary>The default granularity qemu picks for a new bitmap: the cluster size, at least 4 KiB.</summary>
    public long DefaultBitmapGranularity => Math.Max(4096, ClusterSizeInt);

    /// <summary>qmp_block_dirty_bitmap_add with persistent=on (qcow2_co_can_store_new_dirty_bitmap's checks).</summary>
    public void AddBitmap(string name, long granularity, string nodeName)
    {
        if (name.Length == 0)
            throw new ImageException("Bitmap name cannot be empty");
        if (granularity < 512 || (granularity & (granularity - 1)) != 0)
            throw new ImageException("Granularity must be power of 2 and at least 512");
        BeginModification();
        string prefix = $"Can't make bitmap '{name}' persistent in '{nodeName}': ";
        if (Header.Version < 3)
            throw new ImageException(prefix + "Cannot store dirty bitmaps in qcow2 v2 files");
        int bits = System.Numerics.BitOperations.Log2((ulong)granularity);
        if (bits > BitmapDirectoryEntry.MaxGranularityBits)
            throw new ImageException(prefix + $"Granularity exceeds maximum ({1UL << BitmapDirectoryEntry.MaxGranularityBits} bytes)");
        ulong len = (ulong)VirtualSize;
        if (bits < 40 && (len > BitmapDirectoryEntry.MaxPhysSize << bits || len > ((ulong)BitmapDirectoryEntry.MaxTableSize * (ulong)ClusterSizeInt) << bits))
            throw new ImageException(prefix + "Too much space will be occupied by the bitmap. Use larger granularity");
        if (Encoding.UTF8.GetByteCount(name) > BitmapDirectoryEntry.MaxNameSize)
            throw new ImageException(prefix + $"Name length exceeds maximum ({BitmapDirectoryEntry.MaxNameSize} characters)");
        if (Bitmaps.Count >= BitmapDirectoryEntry.MaxBitmaps)
            throw new ImageException(prefix + "Maximum number of persistent bitmaps is already reached");
        if ((long)(BitmapExtension?.Size ?? 0) + EntrySizeFor(name) > BitmapDirectoryEntry.MaxDirectorySize)
            throw new ImageException(prefix + "Not enough space in the bitmap directory");
        if (_bitmapSlots!.Exists(s => s.Name == name))
            throw new ImageException($"Bitmap already exists: {name}");
        _bitmapSlots.Add(new BitmapSlot(null, new DirtyBitmap(name, bits, VirtualSize, enabled: true)));
    }

    private static int EntrySizeFor(string name) => (24 + Encoding.UTF8.GetByteCount(name) + 7) & ~7;

    /// <summary>qcow2_co_remove_persistent_dirty_bitmap: the directory without it is written at once, then its clusters freed.</summary>
    public void RemoveBitmap(string name)
    {
        BeginModification();
        var slot = FindBitmap(name);
        _bitmapSlots!.Remove(slot);
        if (slot.Disk is not { } disk) return;
        WriteDirectory(_bitmapSlots.Where(s => s.Disk is not null).Select(s => s.Disk!).ToList());
        FreeBitmapClusters(disk);
    }

    /// <summary>The target of a merge is looked up (and must be usable) before its source.</summary>
    public void CheckBitmapExists(string name)
    {
        BeginModification();
        CheckUsable(FindBitmap(name));
    }

    public void ClearBitmap(string name)
    {
        BeginModification();
        var s = FindBitmap(name);
        CheckUsable(s);
        s.Live!.Clear();
    }

    public void EnableBitmap(string name, bool enable)
    {
        BeginModification();
        var s = FindBitmap(name);
        CheckUsable(s);
        s.Live!.Enabled = enable;
    }

    /// <summary>Returns a copy of a loaded bitmap's bits (the --merge source), read-only opens included.</summary>
    public DirtyBitmap GetBitmapForMerge(string name)
    {
        if (_bitmapSlots is not null)
        {
            var s = FindBitmap(name);
            CheckUsable(s);
            return s.Live!;
        }
        var e = Bitmaps.Find(b => b.Name == name) ?? throw new ImageException($"Dirty bitmap '{name}' not found");
        if ((e.Flags & BitmapDirectoryEntry.FlagInUse) != 0)
            throw new ImageException($"Bitmap '{name}' is inconsistent and cannot be used\nTry block-dirty-bitmap-remove to delete this bitmap from disk");
        return LoadBitmap(e);
    }

    /// <summary>bdrv_merge_dirty_bitmap: ORs <paramref name="source"/> into the bitmap <paramref name="target"/>.</summary>
    public void MergeBitmap(string target, DirtyBitmap source)
    {
        BeginModification();
        var s = FindBitmap(target);
        CheckUsable(s);
        var dst = s.Live!;
        if (source.DiskSize != dst.DiskSize)
            throw new ImageException("Bitmaps are incompatible and can't be merged");
        long count = DirtyBitmap.BitCount(source.DiskSize, source.GranularityBits);
        for (long b = 0; b < count; b++)
        {
            if ((source.Bits[b >> 3] & (1 << (int)(b & 7))) == 0)
            {
                if ((b & 7) == 0 && source.Bits[b >> 3] == 0) b += 7;
                continue;
            }
            dst.SetDirty(b << source.GranularityBits, source.Granularity);
        }
    }

    /// <summary>qcow2_supports_persistent_dirty_bitmap: only v3 images have the bitmaps extension.</summary>
    public bool CanStorePersistentBitmaps => Header.Version >= 3;

    /// <summary>Persistent bitmaps as a source image offers them (convert --bitmaps): name, granularity, enabled, in_use.</summary>
    public IEnumerable<(string Name, int GranularityBits, bool Enabled, bool InUse)> BitmapSummaries =>
        Bitmaps.Select(b => (b.Name, (int)b.GranularityBits, (b.Flags & BitmapDirectoryEntry.FlagAuto) != 0, (b.Flags & BitmapDirectoryEntry.FlagInUse) != 0));

    /// <summary>Adds a bitmap copied from another image (convert --bitmaps), with its bits and enabled state.</summary>
    public void ImportBitmap(DirtyBitmap source, bool enabled, string nodeName)
    {
        AddBitmap(source.Name, source.Granularity, nodeName);
        var s = FindBitmap(source.Name);
        MergeBitmap(source.Name, source);
        s.Live!.Enabled = enabled;
    }
}
