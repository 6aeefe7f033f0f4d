using System.Buffers.Binary;
using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>calculate_refcounts: counts every reference the metadata makes into the in-memory refcount table.</summary>
internal sealed partial class Qcow2Checker
{
    private void CalculateRefcounts(CheckRepair fix, ref bool rebuild)
    {
        Inc(0, _cs);
        CheckL1((long)_dev.Header.L1TableOffset, _dev.Header.L1Size, CheckFragInfo, fix, active: true);
        if (_dev.HasDataFile && _dev.SnapshotTable.Count > 0)
        {
            _log.Message($"ERROR {_dev.SnapshotTable.Count} snapshots in image with data file");
            _res.Corruptions++;
        }
        foreach (var sn in _dev.SnapshotTable)
        {
            if ((sn.L1TableOffset & (ulong)(_cs - 1)) != 0)
            {
                _log.Message($"ERROR snapshot {sn.Id} ({sn.Name}) l1_offset={Hex0x(sn.L1TableOffset)}: L1 table is not cluster aligned; snapshot table entry corrupted");
                _res.Corruptions++;
                continue;
            }
            if (sn.L1Size > Qcow2Device.MaxL1Bytes / 8)
            {
                _log.Message($"ERROR snapshot {sn.Id} ({sn.Name}) l1_size={Hex0x(sn.L1Size)}: L1 table is too large; snapshot table entry corrupted");
                _res.Corruptions++;
                continue;
            }
            CheckL1((long)sn.L1TableOffset, sn.L1Size, 0, fix, active: false);
        }
        if (_dev.Header.NbSnapshots > 0)
            Inc((long)_dev.Header.SnapshotsOffset, _dev.SnapshotTableBytes());
        Inc(_dev.Refcounts.TableOffset, (long)_dev.Refcounts.TableEntries * 8);
        if (_dev.CryptoHeader is { } c)
            Inc((long)c.Offset, (long)c.Length);
        CheckBitmaps();
        CheckRefblocks(fix, ref rebuild);
    }

    /// <summary>qcow2_inc_refcounts_imrt.</summary>
    private void Inc(long offset, long size)
    {
        if (size <= 0) return;
        if (offset + size - _dev.File.Length >= _cs)
        {
            _log.Message($"ERROR: counting reference for region exceeding the end of the file by one cluster or more: offset 0x{offset:x} size 0x{size:x}");
            _res.Corruptions++;
            return;
        }
        // Cluster offsets are unsigned, as in qemu: an offset at or above 2^63 (which passes the signed test above)
        // is a cluster index too large to count, and the in-memory table's growth reports ENOMEM.
        ulong start = (ulong)offset & ~(ulong)(_cs - 1);
        ulong last = (ulong)(offset + size - 1) & ~(ulong)(_cs - 1);
        for (ulong co = start; co <= last; co += (ulong)_cs)
        {
            long k = (long)(co >> _cb);
            if (k >= _imrt.Clusters)
                _imrt.Resize(k + 1);
            ulong rc = _imrt.Get(k);
            if (rc == _imrt.Max)
            {
                _log.Message($"ERROR: overflow cluster offset=0x{co:x}");
                _log.Message("Use qemu-img amend to increase the refcount entry width or qemu-img convert to create a clean copy if the image cannot be opened for writing");
                _res.Corruptions++;
                continue;
            }
            _imrt.Set(k, rc + 1);
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
    private void CheckL1(long l1Offset, uint l1Size, int flags, CheckRepair fix, bool active)
    {
        if (l1Size == 0) return;
        Inc(l1Offset, (long)l1Size * 8);
        var l1 = ReadTable(l1Offset, l1Size);
        foreach (ulong e in l1)
        {
            if (e == 0) continue;
            if ((e & L2Entry.L1ReservedMask) != 0)
            {
                _log.Message($"ERROR found L1 entry with reserved bits set: {e:x}");
                _res.Corruptions++;
            }
            long l2 = (long)(e & L2Entry.L1OffsetMask);
            Inc(l2, _cs);
            if ((l2 & (_cs - 1)) != 0)
            {
                _log.Message($"ERROR l2_offset={l2:x}: Table is not cluster aligned; L1 entry corrupted");
                _res.Corruptions++;
            }
            CheckL2(l2, flags, fix, active);
        }
    }

    /// <summary>check_refcounts_l2.</summary>
    private void CheckL2(long l2Offset, int flags, CheckRepair fix, bool active)
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
                _res.Corruptions++;
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
                            _res.Corruptions++;
                        }
                        if (_dev.HasDataFile)
                        {
                            _log.Message($"ERROR compressed cluster {i} with data file, entry=0x{entry:x}");
                            _res.Corruptions++;
                            break;
                        }
                        if (bitmap != 0)
                        {
                            _log.Message($"ERROR compressed cluster {i} with non-zero subcluster allocation bitmap, entry=0x{entry:x}");
                            _res.Corruptions++;
                            break;
                        }
                        var d = CompressedDescriptor.Decode(entry, _cb);
                        long coffset = d.HostOffset;
                        long nbSectors = (long)((entry >> shift) & ((1UL << (_cb - 8)) - 1)) + 1;
                        long csize = nbSectors * 512 - (coffset & 511);
                        Inc(coffset, csize);
                        if ((flags & CheckFragInfo) != 0)
                        {
                            _res.Allocated++;
                            _res.Compressed++;
                            _res.Fragmented++;
                        }
                        break;
                    }
                case SubclusterType.ZeroAlloc:
                case SubclusterType.Normal:
                    {
                        long offset = (long)(entry & L2Entry.OffsetMask);
                        if (((bitmap >> 32) & bitmap) != 0)
                        {
                            _res.Corruptions++;
                            _log.Message($"ERROR offset={offset:x}: Allocated cluster has corrupted subcluster allocation bitmap");
                        }
                        if ((offset & (_cs - 1)) != 0)
                        {
                            _res.Corruptions++;
                            bool containsData = ext ? (bitmap & L2Entry.AllAlloc) != 0 : (entry & L2Entry.ZeroFlag) == 0;
                            if (!containsData)
                            {
                                bool repair = (fix & CheckRepair.Errors) != 0;
                                _log.Message($"{(repair ? "Repairing" : "ERROR")} offset={offset:x}: Preallocated cluster is not properly aligned; L2 entry corrupted.");
                                if (repair && FixL2EntryByZero(l2Offset, l2, i, active))
                                    continue; // the cluster is no longer in use
                            }
                            else
                            {
                                _log.Message($"ERROR offset={offset:x}: Data cluster is not properly aligned; L2 entry corrupted.");
                            }
                        }
                        if ((flags & CheckFragInfo) != 0)
                        {
                            _res.Allocated++;
                            if (nextContiguous != 0 && offset != nextContiguous)
                                _res.Fragmented++;
                            nextContiguous = offset + _cs;
                        }
                        if (!_dev.HasDataFile)
                            Inc(offset, _cs);
                        break;
                    }
                case SubclusterType.UnallocatedPlain:
                    if ((bitmap & L2Entry.AllAlloc) != 0)
                    {
                        _res.Corruptions++;
                        _log.Message("ERROR: Unallocated cluster has non-zero subcluster allocation map");
                    }
                    break;
            }
        }
    }

    /// <summary>
    /// fix_l2_entry_by_zero: makes the entry read as zeros without a host cluster and writes it (synchronously).
    /// False when it could not be written; an overlap with other metadata aborts the check as in qemu.
    /// </summary>
    private bool FixL2EntryByZero(long l2Offset, byte[] l2, int index, bool active)
    {
        if (_dev.Extended)
        {
            ulong bitmap = _dev.GetBitmap(l2, index);
            bitmap |= bitmap << 32;
            bitmap &= L2Entry.AllZeroes;
            _dev.SetEntry(l2, index, 0, bitmap);
        }
        else
        {
            _dev.SetEntry(l2, index, L2Entry.ZeroFlag, 0);
        }
        int size = _dev.L2EntrySize;
        long at = l2Offset + (long)index * size;
        if (!_dev.PreWriteOverlapCheck(active ? Qcow2Device.OverlapActiveL2 : Qcow2Device.OverlapInactiveL2, at, size))
        {
            _log.Message("ERROR: Overlap check failed");
            _res.CheckErrors++;
            throw new ImageException("Input/output error") { Errno = 5 };
        }
        _dev.WriteMetadataSync(at, l2.AsSpan(index * size, size));
        _res.Corruptions--;
        _res.CorruptionsFixed++;
        return true;
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
            if (bm.TableOffset + (ulong)bm.TableSize * 8 > (ulong)_dev.File.Length)
            {
                _res.Corruptions++;
                break;
            }
            foreach (ulong e in ReadTable((long)bm.TableOffset, bm.TableSize))
            {
                if ((e & 0xFF00_0000_0000_01FEUL) != 0 || ((e & L2Entry.OffsetMask) != 0 && (e & 1) != 0))
                {
                    _res.Corruptions++;
                    continue;
                }
                long off = (long)(e & L2Entry.OffsetMask);
                if (off != 0) Inc(off, _cs);
            }
        }
    }

    /// <summary>check_refblocks: accounts for every refcount block; broken reftable entries call for a rebuild.</summary>
    private void CheckRefblocks(CheckRepair fix, ref bool rebuild)
    {
        var table = _dev.Refcounts.Table;
        for (long i = 0; i < table.Length; i++)
        {
            ulong e = table[(int)i];
            long offset = ReftableEntry.BlockOffset(e);
            long cluster = (long)((ulong)offset >> _cb); // an offset with bit 63 set is far outside, not negative
            if ((e & ReftableEntry.ReservedMask) != 0)
            {
                _log.Message($"ERROR refcount table entry {i} has reserved bits set");
                _res.Corruptions++;
                rebuild = true;
                continue;
            }
            if ((offset & (_cs - 1)) != 0)
            {
                _log.Message($"ERROR refcount block {i} is not cluster aligned; refcount table entry corrupted");
                _res.Corruptions++;
                rebuild = true;
                continue;
            }
            if (cluster >= _imrt.Clusters)
            {
                _res.Corruptions++;
                bool repair = (fix & CheckRepair.Errors) != 0;
                _log.Message($"{(repair ? "Repairing" : "ERROR")} refcount block {i} is outside image");
                if (repair)
                {
                    if (TryGrowFileToCover(offset + _cs, out string? why))
                    {
                        _res.Corruptions--;
                        _res.CorruptionsFixed++;
                        Inc(offset, _cs);
                        continue;
                    }
                    rebuild = true;
                    _log.Message($"ERROR could not resize image: {why}");
                }
                continue;
            }
            if (offset != 0)
            {
                Inc(offset, _cs);
                if (_imrt.Get(cluster) != 1)
                {
                    _log.Message($"ERROR refcount block {i} refcount={_imrt.Get(cluster)}");
                    _res.Corruptions++;
                    rebuild = true;
                }
            }
        }
    }

    /// <summary>Extends the image file so that a refcount block past its end lies inside it (zeros).</summary>
    private bool TryGrowFileToCover(long end, out string? why)
    {
        why = null;
        if (end <= 0)
        {
            why = "Invalid argument"; // past the largest offset: qemu's truncate refuses it before the file sees it
            return false;
        }
        long clusters = SizeToClusters(end);
        if (clusters > int.MaxValue || _imrt.ByteSizeFor(clusters) > InMemoryRefcounts.MaxBytes)
        {
            why = "File too large";
            _log.Message($"imagebuild: Could not resize file: {why}");
            return false;
        }
        try
        {
            _dev.File.SetLength(end);
        }
        catch (ImageException e)
        {
            // qemu reports the truncate's error, then its errno in the check's own line
            _log.Error(e.Message);
            why = e.Errno != 0 ? Info.SnapshotException.StrError(e.Errno) : e.Message;
            return false;
        }
        _imrt.Resize(SizeToClusters(_dev.File.Length));
        return true;
    }
}
