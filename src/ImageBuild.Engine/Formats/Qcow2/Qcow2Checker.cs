using System.Buffers.Binary;
using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// qemu's qcow2_check_refcounts without repair: rebuilds the expected refcount of every host cluster by walking
/// all metadata, compares with the stored refcounts (leaks vs corruptions), checks COPIED flags, and gathers the
/// allocation statistics. Diagnostics use qemu's exact wording.
/// </summary>
internal sealed class Qcow2Checker
{
    private const int CheckFragInfo = 2;
    /// <summary>Most host clusters we will track (qemu's limit is INT_MAX; this bounds memory).</summary>
    private const long MaxTrackedClusters = 1L << 30;

    private readonly Qcow2Device _dev;
    private readonly ICheckLog _log;
    private readonly int _cb;
    private readonly int _cs;
    private readonly int _order;
    private readonly long _fileLength;
    private byte[] _table;
    private long _nbClusters;
    private long _corruptions, _leaks, _checkErrors, _allocated, _fragmented, _compressed;

    private Qcow2Checker(Qcow2Device dev, ICheckLog log)
    {
        _dev = dev;
        _log = log;
        _cb = dev.ClusterBits;
        _cs = 1 << _cb;
        _order = (int)dev.Header.RefcountOrder;
        _fileLength = dev.File.Length;
        _nbClusters = (_fileLength + _cs - 1) >> _cb;
        _table = new byte[BytesFor(_nbClusters)];
    }

    private long BytesFor(long clusters) => Math.Max(8, ((clusters << _order) + 7) / 8 + 8);

    public static CheckResult Run(Qcow2Device dev, ICheckLog log)
    {
        long clusters = (dev.File.Length + dev.ClusterSizeInt - 1) >> dev.ClusterBits;
        if (clusters > MaxTrackedClusters)
            return new CheckResult { CheckErrors = 1 };
        return new Qcow2Checker(dev, log).Check();
    }

    private CheckResult Check()
    {
        long total = ((long)_dev.Header.Size + _cs - 1) >> _cb;
        // calculate_refcounts
        Inc(0, _cs);
        CheckL1((long)_dev.Header.L1TableOffset, _dev.Header.L1Size, CheckFragInfo);
        if (_dev.HasDataFile && _dev.SnapshotTable.Count > 0)
        {
            _log.Message($"ERROR {_dev.SnapshotTable.Count} snapshots in image with data file");
            _corruptions++;
        }
        foreach (var sn in _dev.SnapshotTable)
        {
            if ((sn.L1TableOffset & (ulong)(_cs - 1)) != 0)
            {
                _log.Message($"ERROR snapshot {sn.Id} ({sn.Name}) l1_offset={Hex0x(sn.L1TableOffset)}: L1 table is not cluster aligned; snapshot table entry corrupted");
                _corruptions++;
                continue;
            }
            if (sn.L1Size > Qcow2Device.MaxL1Bytes / 8)
            {
                _log.Message($"ERROR snapshot {sn.Id} ({sn.Name}) l1_size={Hex0x(sn.L1Size)}: L1 table is too large; snapshot table entry corrupted");
                _corruptions++;
                continue;
            }
            CheckL1((long)sn.L1TableOffset, sn.L1Size, 0);
        }
        if (_dev.Header.NbSnapshots > 0)
            Inc((long)_dev.Header.SnapshotsOffset, SnapshotTableEntry.TableSize(_dev.File, (long)_dev.Header.SnapshotsOffset, _dev.Header.NbSnapshots));
        Inc(_dev.Refcounts.TableOffset, (long)_dev.Refcounts.TableEntries * 8);
        if (_dev.CryptoHeader is { } c)
            Inc((long)c.Offset, (long)c.Length);
        CheckBitmaps();
        CheckRefblocks();

        // compare_refcounts
        long highest = 0;
        for (long i = 0; i < _nbClusters; i++)
        {
            if (!TryDiskRefcount(i, out ulong r1))
            {
                _log.Message($"Can't get refcount for cluster {i}: Input/output error");
                _checkErrors++;
                continue;
            }
            ulong r2 = Get(i);
            if (r1 > 0 || r2 > 0) highest = i;
            if (r1 != r2)
            {
                _log.Message($"{(r1 < r2 ? "ERROR" : "Leaked")} cluster {i} refcount={r1} reference={r2}");
                if (r1 < r2) _corruptions++; else _leaks++;
            }
        }
        CheckOflagCopied();
        return new CheckResult
        {
            CheckErrors = _checkErrors,
            Corruptions = _corruptions,
            Leaks = _leaks,
            ImageEndOffset = (highest + 1) * _cs,
            TotalClusters = total,
            AllocatedClusters = _allocated,
            FragmentedClusters = _fragmented,
            CompressedClusters = _compressed,
        };
    }

    private static string Hex0x(ulong v) => v == 0 ? "0" : $"0x{v:x}";

    private ulong Get(long k) => RefcountBlock.Get(_table, k, _order);

    /// <summary>qcow2_inc_refcounts_imrt.</summary>
    private void Inc(long offset, long size)
    {
        if (size <= 0) return;
        if (offset + size - _fileLength >= _cs)
        {
            _log.Message($"ERROR: counting reference for region exceeding the end of the file by one cluster or more: offset 0x{offset:x} size 0x{size:x}");
            _corruptions++;
            return;
        }
        long start = offset & ~(long)(_cs - 1);
        long last = (offset + size - 1) & ~(long)(_cs - 1);
        ulong max = RefcountBlock.MaxRefcount(_order);
        for (long co = start; co <= last; co += _cs)
        {
            long k = co >> _cb;
            if (k >= _nbClusters)
            {
                long n = k + 1;
                var t = new byte[BytesFor(n)];
                _table.CopyTo(t, 0);
                _table = t;
                _nbClusters = n;
            }
            ulong rc = Get(k);
            if (rc == max)
            {
                _log.Message($"ERROR: overflow cluster offset=0x{co:x}");
                _log.Message("Use qemu-img amend to increase the refcount entry width or qemu-img convert to create a clean copy if the image cannot be opened for writing");
                _corruptions++;
                continue;
            }
            RefcountBlock.Set(_table, k, _order, rc + 1);
        }
    }

    private ulong[] ReadTable(long offset, long entries)
    {
        var bytes = new byte[entries * 8];
        _dev.File.Read(offset, bytes);
        var t = new ulong[entries];
        for (int i = 0; i < t.Length; i++) t[i] = BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(i * 8));
        return t;
    }

    /// <summary>check_refcounts_l1.</summary>
    private void CheckL1(long l1Offset, uint l1Size, int flags)
    {
        if (l1Size == 0) return;
        Inc(l1Offset, (long)l1Size * 8);
        var l1 = ReadTable(l1Offset, l1Size);
        foreach (ulong e in l1)
        {
            if ((e & L2Entry.L1ReservedMask) != 0)
            {
                _log.Message($"ERROR found L1 entry with reserved bits set: {e:x}");
                _corruptions++;
            }
            long l2 = (long)(e & L2Entry.L1OffsetMask);
            if (l2 == 0) continue;
            Inc(l2, _cs);
            if ((l2 & (_cs - 1)) != 0)
            {
                _log.Message($"ERROR l2_offset={l2:x}: Table is not cluster aligned; L1 entry corrupted");
                _corruptions++;
            }
            CheckL2(l2, flags);
        }
    }

    /// <summary>check_refcounts_l2.</summary>
    private void CheckL2(long l2Offset, int flags)
    {
        var l2 = new byte[_cs];
        _dev.File.Read(l2Offset, l2);
        long nextContiguous = 0;
        bool ext = _dev.Extended;
        int entries = _dev.L2Entries;
        for (int i = 0; i < entries; i++)
        {
            ulong entry = _dev.GetEntry(l2, i);
            ulong bitmap = _dev.GetBitmap(l2, i);
            var type = ClusterType(entry);
            if (type != SubclusterType.Compressed && (entry & L2Entry.L2ReservedMask) != 0)
            {
                _log.Message($"ERROR found l2 entry with reserved bits set: {entry:x}");
                _corruptions++;
            }
            switch (type)
            {
                case SubclusterType.Compressed:
                    {
                        int shift = 62 - (_cb - 8);
                        if ((entry & L2Entry.Copied) != 0)
                        {
                            _log.Message($"ERROR: coffset=0x{entry & ((1UL << shift) - 1):x}: copied flag must never be set for compressed clusters");
                            entry &= ~L2Entry.Copied;
                            _corruptions++;
                        }
                        if (_dev.HasDataFile)
                        {
                            _log.Message($"ERROR compressed cluster {i} with data file, entry=0x{entry:x}");
                            _corruptions++;
                            break;
                        }
                        if (bitmap != 0)
                        {
                            _log.Message($"ERROR compressed cluster {i} with non-zero subcluster allocation bitmap, entry=0x{entry:x}");
                            _corruptions++;
                            break;
                        }
                        var d = CompressedDescriptor.Decode(entry, _cb);
                        long coffset = d.HostOffset;
                        long nbSectors = (long)((entry >> shift) & ((1UL << (_cb - 8)) - 1)) + 1;
                        long csize = nbSectors * 512 - (coffset & 511);
                        Inc(coffset, csize);
                        if ((flags & CheckFragInfo) != 0)
                        {
                            _allocated++;
                            _compressed++;
                            _fragmented++;
                        }
                        break;
                    }
                case SubclusterType.ZeroAlloc:
                case SubclusterType.Normal:
                    {
                        long offset = (long)(entry & L2Entry.OffsetMask);
                        if (((bitmap >> 32) & bitmap) != 0)
                        {
                            _corruptions++;
                            _log.Message($"ERROR offset={offset:x}: Allocated cluster has corrupted subcluster allocation bitmap");
                        }
                        if ((offset & (_cs - 1)) != 0)
                        {
                            _corruptions++;
                            bool containsData = ext ? (bitmap & L2Entry.AllAlloc) != 0 : (entry & L2Entry.ZeroFlag) == 0;
                            _log.Message(containsData
                                ? $"ERROR offset={offset:x}: Data cluster is not properly aligned; L2 entry corrupted."
                                : $"ERROR offset={offset:x}: Preallocated cluster is not properly aligned; L2 entry corrupted.");
                        }
                        if ((flags & CheckFragInfo) != 0)
                        {
                            _allocated++;
                            if (nextContiguous != 0 && offset != nextContiguous)
                                _fragmented++;
                            nextContiguous = offset + _cs;
                        }
                        if (!_dev.HasDataFile)
                            Inc(offset, _cs);
                        break;
                    }
                case SubclusterType.UnallocatedPlain:
                    if ((bitmap & L2Entry.AllAlloc) != 0)
                    {
                        _corruptions++;
                        _log.Message("ERROR: Unallocated cluster has non-zero subcluster allocation bitmap");
                    }
                    break;
            }
        }
    }

    /// <summary>qcow2_get_cluster_type (zero flag only without subclusters).</summary>
    private SubclusterType ClusterType(ulong entry)
    {
        if ((entry & L2Entry.CompressedFlag) != 0) return SubclusterType.Compressed;
        if ((entry & L2Entry.ZeroFlag) != 0 && !_dev.Extended)
            return (entry & L2Entry.OffsetMask) != 0 ? SubclusterType.ZeroAlloc : SubclusterType.ZeroPlain;
        if ((entry & L2Entry.OffsetMask) == 0)
            return _dev.HasDataFile && (entry & L2Entry.Copied) != 0 ? SubclusterType.Normal : SubclusterType.UnallocatedPlain;
        return SubclusterType.Normal;
    }

    /// <summary>qcow2_check_bitmaps_refcounts.</summary>
    private void CheckBitmaps()
    {
        if (_dev.BitmapExtension is not { } ext || _dev.Bitmaps.Count == 0) return;
        Inc((long)ext.Offset, (long)ext.Size);
        foreach (var bm in _dev.Bitmaps)
        {
            Inc((long)bm.TableOffset, (long)bm.TableSize * 8);
            if (bm.TableOffset + (ulong)bm.TableSize * 8 > (ulong)_fileLength)
            {
                _corruptions++;
                break;
            }
            foreach (ulong e in ReadTable((long)bm.TableOffset, bm.TableSize))
            {
                if ((e & 0xFF00_0000_0000_01FEUL) != 0 || ((e & L2Entry.OffsetMask) != 0 && (e & 1) != 0))
                {
                    _corruptions++;
                    continue;
                }
                long off = (long)(e & L2Entry.OffsetMask);
                if (off != 0) Inc(off, _cs);
            }
        }
    }

    /// <summary>check_refblocks (reporting only).</summary>
    private void CheckRefblocks()
    {
        var table = _dev.Refcounts.Table;
        for (long i = 0; i < table.Length; i++)
        {
            ulong e = table[(int)i];
            long offset = (long)(e & L2Entry.OffsetMask);
            long cluster = offset >> _cb;
            if ((e & 0x1FFUL) != 0)
            {
                _log.Message($"ERROR refcount table entry {i} has reserved bits set");
                _corruptions++;
                continue;
            }
            if ((offset & (_cs - 1)) != 0)
            {
                _log.Message($"ERROR refcount block {i} is not cluster aligned; refcount table entry corrupted");
                _corruptions++;
                continue;
            }
            if (cluster >= _nbClusters)
            {
                _corruptions++;
                _log.Message($"ERROR refcount block {i} is outside image");
                continue;
            }
            if (offset != 0)
            {
                Inc(offset, _cs);
                if (Get(cluster) != 1)
                {
                    _log.Message($"ERROR refcount block {i} refcount={Get(cluster)}");
                    _corruptions++;
                }
            }
        }
    }

    private bool TryDiskRefcount(long cluster, out ulong refcount)
    {
        refcount = 0;
        long ti = cluster >> (_cb + 3 - _order);
        var table = _dev.Refcounts.Table;
        if (ti >= table.Length) return true;
        long block = (long)(table[(int)ti] & L2Entry.OffsetMask);
        if (block == 0) return true;
        if ((block & (_cs - 1)) != 0) return false;
        refcount = _dev.Refcounts.GetRefcount(cluster);
        return true;
    }

    /// <summary>check_oflag_copied (reporting only).</summary>
    private void CheckOflagCopied()
    {
        var l1 = _dev.L1;
        for (int i = 0; i < l1.Length; i++)
        {
            ulong l1e = l1[i];
            long l2Offset = (long)(l1e & L2Entry.L1OffsetMask);
            if (l2Offset == 0) continue;
            if (!TryDiskRefcount(l2Offset >> _cb, out ulong rc)) continue;
            if ((rc == 1) != ((l1e & L2Entry.Copied) != 0))
            {
                _corruptions++;
                _log.Message($"ERROR OFLAG_COPIED L2 cluster: l1_index={i} l1_entry={l1e:x} refcount={rc}");
            }
            var l2 = new byte[_cs];
            _dev.File.Read(l2Offset, l2);
            for (int j = 0; j < _dev.L2Entries; j++)
            {
                ulong e = _dev.GetEntry(l2, j);
                var type = ClusterType(e);
                if (type is not (SubclusterType.Normal or SubclusterType.ZeroAlloc)) continue;
                ulong refcount = 1;
                if (!_dev.HasDataFile && !TryDiskRefcount((long)(e & L2Entry.OffsetMask) >> _cb, out refcount)) continue;
                if ((refcount == 1) != ((e & L2Entry.Copied) != 0))
                {
                    _corruptions++;
                    _log.Message($"ERROR OFLAG_COPIED data cluster: l2_entry={e:x} refcount={refcount}");
                }
            }
        }
    }
}
