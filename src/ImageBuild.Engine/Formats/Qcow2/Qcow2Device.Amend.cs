using System.Buffers.Binary;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Formats.File;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// qemu-img amend for qcow2 (qcow2_amend_options): only the options given change. Order of work as in qemu:
/// upgrade to v3, refcount width, data-file name and raw flag, header rewrite, backing file check, lazy
/// refcounts, size, and the downgrade to v2 last (so features it cannot keep are removed first).
/// </summary>
public sealed partial class Qcow2Device
{
    public override void Amend(OptionValues o, bool force, Action<long, long> status)
    {
        if (ReadOnly) throw NotWritable();
        // A read-write open loads the persistent bitmaps and marks them in use; closing stores them again.
        LoadBitmapsForWrite();
        int oldVersion = (int)Header.Version, newVersion = oldVersion;
        long newSize = 0;
        bool lazy = (Header.CompatibleFeatures & Qcow2Header.CompatLazyRefcounts) != 0;
        bool dataRaw = (Header.AutoclearFeatures & Qcow2Header.AutoclearDataFileRaw) != 0 && HasDataFile;
        int refBits = 1 << (int)Header.RefcountOrder;
        string? backingFile = null, backingFormat = null, dataFile = null;
        bool backingGiven = false;
        bool encryptionUpdate = false;

        // Checked in the order of qemu's amend option table.
        foreach (var name in Qcow2Format.AmendOptionOrder)
        {
            if (!o.Has(name)) continue;
            switch (name)
            {
                case var n when n.StartsWith("encrypt.", StringComparison.Ordinal):
                    if (Header.CryptMethod == 0)
                        throw new ImageException("Can't amend encryption options - encryption not present");
                    if (Header.CryptMethod != CryptLuks)
                        throw new ImageException("Only LUKS encryption options can be amended");
                    encryptionUpdate = true;
                    break;
                case "size":
                    newSize = o.GetSize("size")!.Value;
                    break;
                case "compat":
                    newVersion = o.GetString("compat") switch
                    {
                        "0.10" or "v2" => 2,
                        "1.1" or "v3" => 3,
                        var v => throw new ImageException($"Unknown compatibility level {v}"),
                    };
                    break;
                case "backing_file":
                    backingFile = o.GetString(name);
                    backingGiven = true;
                    break;
                case "backing_fmt":
                    backingFormat = o.GetString(name);
                    backingGiven = true;
                    break;
                case "lazy_refcounts":
                    lazy = o.GetBool(name)!.Value;
                    break;
                case "refcount_bits":
                    long bits = o.GetNumber(name)!.Value;
                    if (bits <= 0 || bits > 64 || (bits & (bits - 1)) != 0)
                        throw new ImageException("Refcount width must be a power of two and may not exceed 64 bits");
                    refBits = (int)bits;
                    break;
                case "data_file":
                    dataFile = o.GetString(name);
                    if (dataFile is not null && !HasDataFile)
                        throw new ImageException("data-file can only be set for images that use an external data file");
                    break;
                case "data_file_raw":
                    bool wantRaw = o.GetBool(name)!.Value;
                    if (wantRaw && !dataRaw)
                        throw new ImageException("data-file-raw cannot be set on existing images");
                    dataRaw = wantRaw;
                    break;
            }
        }

        int newOrder = System.Numerics.BitOperations.Log2((uint)refBits);
        var progress = new AmendProgress(status, (newVersion != oldVersion ? 1 : 0) + (newOrder != (int)Header.RefcountOrder ? 1 : 0));

        if (newVersion > oldVersion)
        {
            progress.Begin(AmendOperation.Upgrading);
            Upgrade(progress.Report);
        }

        if (encryptionUpdate)
            AmendEncryption(o, force); // qemu: after the upgrade, before the refcount width

        if (newOrder != (int)Header.RefcountOrder)
        {
            if (newVersion < 3 && refBits != 16)
                throw new ImageException("Refcount widths other than 16 bits require compatibility level 1.1 or above (use compat=1.1 or greater)");
            progress.Begin(AmendOperation.ChangingRefcountOrder);
            BeginModification();
            FlushMetadata(markClean: false);
            new Qcow2RefcountOrderChanger(Refcounts, _file, ClusterBits, progress.Report).Change(newOrder, () =>
            {
                Header.RefcountOrder = (uint)newOrder;
                UpdateHeader();
            });
        }

        if (dataRaw)
            Header.AutoclearFeatures |= Qcow2Header.AutoclearDataFileRaw;
        else
            Header.AutoclearFeatures &= ~Qcow2Header.AutoclearDataFileRaw;
        if (dataFile is not null)
            DataFileName = dataFile.Length > 0 ? dataFile : null;
        UpdateHeader();
        _file.Flush();

        if (backingGiven && (backingFile != BackingFilename || backingFormat != BackingFormat))
            throw new ImageException("Cannot amend the backing file\nYou can use 'imagebuild rebase' instead.");

        if (lazy != ((Header.CompatibleFeatures & Qcow2Header.CompatLazyRefcounts) != 0))
        {
            if (lazy)
            {
                if (newVersion < 3)
                    throw new ImageException("Lazy refcounts only supported with compatibility level 1.1 and above (use compat=1.1 or greater)");
                Header.CompatibleFeatures |= Qcow2Header.CompatLazyRefcounts;
            }
            else
            {
                FlushMetadata(markClean: true); // make the image clean first
                Header.CompatibleFeatures &= ~Qcow2Header.CompatLazyRefcounts;
            }
            UpdateHeader();
            _file.Flush();
        }

        if (newSize != 0)
        {
            BlockLimits.CheckTruncate(newSize); // blk_truncate's limits come before the driver's own checks
            Resize(newSize, Preallocation.Off);
        }

        if (newVersion < oldVersion)
        {
            progress.Begin(AmendOperation.Downgrading);
            Downgrade(progress.Report);
        }
        FlushMetadata(markClean: false);
    }

    /// <summary>qcow2_upgrade: v3 needs every snapshot to carry the 64-bit VM state size and the disk size.</summary>
    private void Upgrade(Action<long, long> status)
    {
        status(0, 2);
        if (SnapshotTable.Exists(s => s.DiskSize is null))
            throw new ImageException("Failed to update the snapshot table: snapshots without v3 extra data are not supported yet");
        status(1, 2);
        Header.Version = 3;
        Header.RefcountOrder = 4;
        UpdateHeader();
        _file.Flush();
        status(2, 2);
    }

    /// <summary>qcow2_downgrade: refuses what v2 cannot express, expands zero clusters, then writes a v2 header.</summary>
    private void Downgrade(Action<long, long> status)
    {
        if (Header.RefcountOrder != 4)
            throw new ImageException("compat=0.10 requires refcount_bits=16");
        if (HasDataFile)
            throw new ImageException("Cannot downgrade an image with a data file");
        foreach (var s in SnapshotTable)
            if (s.VmStateSize > uint.MaxValue || (s.DiskSize ?? (ulong)VirtualSize) != (ulong)VirtualSize)
                throw new ImageException("Internal snapshots prevent downgrade of image");
        FlushMetadata(markClean: true);
        ulong incompat = Header.IncompatibleFeatures & ~Qcow2Header.IncompatCompression;
        if (incompat != 0)
            throw new ImageException($"Cannot downgrade an image with incompatible features 0x{incompat:x} set");
        Header.CompatibleFeatures = 0;
        Header.AutoclearFeatures = 0;
        ExpandZeroClusters(status);
        if ((Header.IncompatibleFeatures & Qcow2Header.IncompatCompression) != 0)
        {
            if (HasCompressedClusters())
                throw new ImageException("Cannot downgrade an image with zstd compression type and existing compressed clusters");
            Header.IncompatibleFeatures &= ~Qcow2Header.IncompatCompression;
            Header.CompressionType = 0;
            _codec = null;
        }
        Header.Version = 2;
        UpdateHeader();
        _file.Flush();
    }

    private bool HasCompressedClusters()
    {
        for (long off = 0; off < VirtualSize;)
        {
            var run = Resolve(off, Math.Min(int.MaxValue, VirtualSize - off));
            if (run.Type == SubclusterType.Compressed) return true;
            off += run.Length;
        }
        return false;
    }

    /// <summary>
    /// qcow2_expand_zero_clusters: v2 has no zero flag. Without a backing file a plain zero cluster simply becomes
    /// unallocated; otherwise (and for zero clusters that keep their host cluster) the cluster is written with
    /// zeros and mapped as data. The active L1 first (through the cache), then every snapshot's L1 on disk.
    /// </summary>
    private void ExpandZeroClusters(Action<long, long> status)
    {
        long total = L1.Length + SnapshotTable.Sum(s => (long)s.L1Size);
        long visited = 0;
        bool backed = BackingFilename is not null;
        int cs = ClusterSizeInt;
        for (long i = 0; i < L1.Length; i++)
        {
            long l2Offset = L2OffsetFor(i);
            if (l2Offset != 0)
            {
                var l2 = LoadL2(l2Offset, i);
                if (ExpandInTable(l2, l2Offset, backed))
                    L2Cache.MarkDirty(l2Offset);
            }
            status(++visited, total);
        }
        FlushMetadata(markClean: false);

        var l2Buffer = new byte[cs];
        foreach (var snap in SnapshotTable)
        {
            var l1Bytes = new byte[(long)snap.L1Size * 8];
            _file.Read((long)snap.L1TableOffset, l1Bytes);
            for (int i = 0; i < snap.L1Size; i++)
            {
                long l2Offset = (long)(BinaryPrimitives.ReadUInt64BigEndian(l1Bytes.AsSpan(i * 8)) & L2Entry.L1OffsetMask);
                if (l2Offset != 0)
                {
                    if ((l2Offset & (cs - 1)) != 0)
                        throw new ImageCorruptException($"'{Filename}': L2 table offset {l2Offset:#x} unaligned (L1 index: {i:#x})");
                    L2Cache.Flush();
                    L2Cache.Discard(l2Offset);
                    _file.Read(l2Offset, l2Buffer);
                    if (ExpandInTable(l2Buffer, l2Offset, backed))
                    {
                        Refcounts.Cache.Flush();
                        _file.Write(l2Offset, l2Buffer);
                    }
                }
                status(++visited, total);
            }
        }
    }

    /// <summary>expand_zero_clusters_in_l1 for one L2 table; true when the table changed.</summary>
    private bool ExpandInTable(byte[] l2, long l2Offset, bool backed)
    {
        ulong l2Refcount = Refcounts.GetRefcount(l2Offset >> ClusterBits);
        bool dirty = false;
        for (int j = 0; j < L2Entries; j++)
        {
            ulong entry = GetEntry(l2, j);
            var type = L2Entry.ClusterType(entry, HasDataFile);
            if (type is not (SubclusterType.ZeroPlain or SubclusterType.ZeroAlloc)) continue;
            long offset = (long)(entry & L2Entry.OffsetMask);
            if (type == SubclusterType.ZeroAlloc && (offset & (ClusterSizeInt - 1)) == 0 &&
                Refcounts.GetRefcount(offset >> ClusterBits) != l2Refcount)
            {
                // Deliberately unlike qemu 7.2, which zeroes the cluster in place even when a snapshot still maps
                // it as data through another L2 table (and marks it COPIED): our references are dropped instead
                // and the cluster is expanded as a plain zero cluster, so the snapshot keeps its data.
                Refcounts.Update(offset, ClusterSizeInt, l2Refcount, decrease: true);
                type = SubclusterType.ZeroPlain;
            }
            if (type == SubclusterType.ZeroPlain)
            {
                if (!backed)
                {
                    SetEntry(l2, j, 0, 0);
                    dirty = true;
                    continue;
                }
                offset = Refcounts.AllocClusters(ClusterSizeInt);
                if (l2Refcount > 1)
                    Refcounts.Update(offset, ClusterSizeInt, l2Refcount - 1, decrease: false);
            }
            if ((offset & (ClusterSizeInt - 1)) != 0)
                throw new ImageCorruptException($"'{Filename}': Cluster allocation offset {offset:#x} unaligned (L2 offset: {l2Offset:#x}, L2 index: {j:#x})");
            _file.WriteZeros(offset, ClusterSizeInt);
            SetEntry(l2, j, l2Refcount == 1 ? (ulong)offset | L2Entry.Copied : (ulong)offset, 0);
            dirty = true;
        }
        return dirty;
    }

    private enum AmendOperation { None, Upgrading, ChangingRefcountOrder, Downgrading }

    /// <summary>qcow2_amend_helper_cb: one progress scale over all operations, projecting the work not yet seen.</summary>
    private sealed class AmendProgress(Action<long, long> status, int totalOperations)
    {
        private AmendOperation _current, _last;
        private int _completed;
        private long _offsetCompleted, _lastWorkSize;

        public void Begin(AmendOperation op) => _current = op;

        public void Report(long offset, long workSize)
        {
            if (totalOperations <= 0) return;
            if (_current != _last)
            {
                if (_last != AmendOperation.None)
                {
                    _offsetCompleted += _lastWorkSize;
                    _completed++;
                }
                _last = _current;
            }
            _lastWorkSize = workSize;
            long current = _offsetCompleted + workSize;
            long projected = current * (totalOperations - _completed - 1) / (_completed + 1);
            status(_offsetCompleted + offset, current + projected);
        }
    }
}
