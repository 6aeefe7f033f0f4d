using System.Buffers.Binary;
using System.Text;
using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// Internal snapshots (qcow2-snapshot.c): create, revert (goto), delete and temporary load for reading.
/// Ordering, as qemu does it, so that a crash leaves at worst leaked clusters: reference counts are raised and
/// flushed before anything points at the clusters (new snapshot table, active L1), and lowered only after the
/// last pointer to them is gone from the disk.
/// </summary>
public sealed partial class Qcow2Device
{
    /// <summary>qemu's QCOW_MAX_SNAPSHOTS.</summary>
    internal const int MaxSnapshots = 65536;

    /// <summary>Clusters whose refcount dropped to zero during a snapshot operation: punched afterwards (qemu's discard-snapshot).</summary>
    private List<long>? _snapshotDiscards;

    public override void CreateSnapshot(NewSnapshot snapshot)
    {
        if (ReadOnly) throw NotWritable();
        if (SnapshotTable.Count >= MaxSnapshots)
            throw Errno(SnapshotException.EFBIG);
        if (HasDataFile)
            throw Errno(SnapshotException.ENOTSUP);
        string id = NewSnapshotId(SnapshotTable);
        if (SnapshotTable.Any(s => s.Id == id))
            throw Errno(SnapshotException.EEXIST);

        RunWithSnapshotDiscards(() =>
        {
            // The snapshot's L1 table: a copy of the active one (flags included, as qemu copies it).
            long l1Bytes = (long)L1.Length * 8;
            long l1Offset = Refcounts.AllocClusters(l1Bytes);
            if (l1Bytes > 0)
            {
                EnsureNoOverlap(0, l1Offset, l1Bytes);
                _file.Write(l1Offset, L1TableBytes(L1, L1.Length));
            }

            // Every cluster the active L1 reaches gains a reference; stable on disk before the table names the copy.
            UpdateSnapshotRefcount(L1, (long)Header.L1TableOffset, 1);

            var entry = new SnapshotTableEntry((ulong)l1Offset, (uint)L1.Length, id, TruncateName(snapshot.Name),
                snapshot.DateSec, snapshot.DateNsec, snapshot.VmClockNsec, 0, (ulong)VirtualSize, snapshot.Icount);
            var list = new List<SnapshotTableEntry>(SnapshotTable) { entry };
            WriteSnapshotTable(list);
        });
    }

    public override void GotoSnapshot(string idOrName)
    {
        if (ReadOnly) throw NotWritable();
        if (Bitmaps.Count > 0 && (Header.AutoclearFeatures & Qcow2Header.AutoclearBitmaps) != 0)
            throw new SnapshotException("Device has active dirty bitmaps", SnapshotException.EBUSY);
        if (HasDataFile) // qemu: snapshots and an external data file do not mix, whether or not the name exists
            throw FailedToLoad(SnapshotException.ENOTSUP);
        int index = FindSnapshot(idOrName, null);
        if (index < 0) index = FindSnapshot(null, idOrName);
        if (index < 0)
            throw FailedToLoad(SnapshotException.ENOENT);
        var sn = SnapshotTable[index];
        if (ValidateSnapshotL1(sn) is { } bad)
            throw FailedToLoad(bad.Errno, bad.Message);
        BeginModification();

        long diskSize = (long)(sn.DiskSize ?? (ulong)VirtualSize);
        if (diskSize != VirtualSize)
        {
            try
            {
                Resize(diskSize, Formats.File.Preallocation.Off);
            }
            catch (ImageException e) when (e is not ImageCorruptException)
            {
                throw FailedToLoad(e.Message.StartsWith("Can't resize a v2", StringComparison.Ordinal) ? SnapshotException.ENOTSUP : SnapshotException.EINVAL, e.Message);
            }
        }

        RunWithSnapshotDiscards(() =>
        {
            GrowL1(sn.L1Size);
            // The snapshot's table, padded with zeros to the (possibly larger) current L1 size.
            var snL1 = new ulong[L1.Length];
            ReadL1Table((long)sn.L1TableOffset, snL1.AsSpan(0, (int)sn.L1Size));

            // Raise the references of everything the snapshot reaches before the active L1 points at it ...
            UpdateSnapshotRefcount(ReadSnapshotL1(sn), (long)sn.L1TableOffset, 1);
            EnsureNoOverlap(OverlapActiveL1, (long)Header.L1TableOffset, (long)snL1.Length * 8);
            _file.Write((long)Header.L1TableOffset, L1TableBytes(snL1, snL1.Length));
            _file.Flush();

            // ... and drop those of the old active state only once it is gone from the disk.
            var old = L1;
            UpdateSnapshotRefcount(old, -1, -1);
            L1 = snL1;
            // COPIED flags of the new active state (refcounts may have dropped back to one).
            UpdateSnapshotRefcount(L1, (long)Header.L1TableOffset, 0);
        });
    }

    public override void DeleteSnapshot(string id, string name)
    {
        if (ReadOnly) throw NotWritable();
        int index = FindSnapshot(id, name);
        if (index < 0)
            throw new SnapshotException("Can't find the snapshot", SnapshotException.ENOENT);
        var sn = SnapshotTable[index];
        if (ValidateSnapshotL1(sn) is { } bad)
            throw new SnapshotException(bad.Message, bad.Errno);

        RunWithSnapshotDiscards(() =>
        {
            var snL1 = ReadSnapshotL1(sn);
            var list = new List<SnapshotTableEntry>(SnapshotTable);
            list.RemoveAt(index);
            WriteSnapshotTable(list);

            // The snapshot is gone from the disk: its clusters lose a reference, then its L1 table is freed.
            UpdateSnapshotRefcount(snL1, -1, -1);
            Refcounts.Free((long)sn.L1TableOffset, (long)sn.L1Size * 8);
            UpdateSnapshotRefcount(L1, (long)Header.L1TableOffset, 0);
        });
    }

    public override void LoadSnapshotTemporarily(string? id, string? name)
    {
        if (id is null && name is null)
            throw new SnapshotException("snapshot_id and name are both NULL", SnapshotException.EINVAL);
        if (!ReadOnly)
            throw new SnapshotException("Device is not readonly", SnapshotException.EACCES);
        int index = FindSnapshot(id, name);
        if (index < 0)
            throw new SnapshotException("Can't find snapshot", SnapshotException.ENOENT);
        var sn = SnapshotTable[index];
        if (ValidateSnapshotL1(sn) is { } bad)
            throw new SnapshotException(bad.Message, bad.Errno);
        L1 = ReadSnapshotL1(sn);
        Header.L1TableOffset = sn.L1TableOffset;
        Header.L1Size = sn.L1Size;
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>find_snapshot_by_id_and_name: a null id or name is not compared.</summary>
    private int FindSnapshot(string? id, string? name)
    {
        for (int i = 0; i < SnapshotTable.Count; i++)
        {
            var s = SnapshotTable[i];
            if ((id is null || s.Id == id) && (name is null || s.Name == name))
                return i;
        }
        return -1;
    }

    /// <summary>find_new_snapshot_id: one more than the largest id read as a number (strtoul), in decimal.</summary>
    internal static string NewSnapshotId(IEnumerable<SnapshotTableEntry> snapshots)
    {
        ulong max = 0;
        foreach (var s in snapshots)
            max = Math.Max(max, StrToUl(s.Id));
        return unchecked(max + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>C's strtoul(s, NULL, 10): leading spaces, an optional sign, digits; saturates on overflow.</summary>
    private static ulong StrToUl(string s)
    {
        int i = 0;
        while (i < s.Length && s[i] is ' ' or '\t' or '\n' or '\v' or '\f' or '\r') i++;
        bool negative = false;
        if (i < s.Length && s[i] is '+' or '-')
        {
            negative = s[i] == '-';
            i++;
        }
        ulong v = 0;
        bool overflow = false;
        for (; i < s.Length && char.IsAsciiDigit(s[i]); i++)
        {
            ulong d = (ulong)(s[i] - '0');
            if (v > (ulong.MaxValue - d) / 10) overflow = true;
            else v = v * 10 + d;
        }
        if (overflow) return ulong.MaxValue;
        return negative ? unchecked(0UL - v) : v;
    }

    /// <summary>qemu-img copies the name into a 256-byte buffer: at most 255 bytes survive (cut at a character boundary here).</summary>
    private static string TruncateName(string name)
    {
        if (Encoding.UTF8.GetByteCount(name) <= 255) return name;
        int n = name.Length;
        while (Encoding.UTF8.GetByteCount(name.AsSpan(0, n)) > 255) n--;
        if (n > 0 && char.IsHighSurrogate(name[n - 1])) n--;
        return name[..n];
    }

    /// <summary>qcow2_validate_table for a snapshot's L1 table (plus: it must lie inside the file).</summary>
    private (string Message, int Errno)? ValidateSnapshotL1(SnapshotTableEntry sn)
    {
        if (sn.L1Size > MaxL1Bytes / 8)
            return ("Snapshot L1 table too large", SnapshotException.EFBIG);
        long bytes = (long)sn.L1Size * 8;
        if (sn.L1TableOffset > (ulong)(long.MaxValue - bytes) || (sn.L1TableOffset & (ulong)(ClusterSizeInt - 1)) != 0)
            return ("Snapshot L1 table offset invalid", SnapshotException.EINVAL);
        if (bytes > 0 && (long)sn.L1TableOffset + bytes > _file.Length)
            return ($"'{Filename}': snapshot {sn.Id} L1 table at offset {sn.L1TableOffset} lies past the end of the file", SnapshotException.EIO);
        return null;
    }

    private ulong[] ReadSnapshotL1(SnapshotTableEntry sn)
    {
        var table = new ulong[sn.L1Size];
        ReadL1Table((long)sn.L1TableOffset, table);
        return table;
    }

    private void ReadL1Table(long offset, Span<ulong> table)
    {
        if (table.IsEmpty) return;
        var bytes = new byte[table.Length * 8];
        _file.Read(offset, bytes);
        for (int i = 0; i < table.Length; i++)
            table[i] = BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(i * 8));
    }

    private static byte[] L1TableBytes(ulong[] table, int count)
    {
        var bytes = new byte[count * 8];
        for (int i = 0; i < count; i++)
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(i * 8), table[i]);
        return bytes;
    }

    private static SnapshotException Errno(int errno) => new(SnapshotException.StrError(errno), errno);

    /// <summary>bdrv_snapshot_goto's wording: "Failed to load snapshot: strerror", with the driver's own report first.</summary>
    private static SnapshotException FailedToLoad(int errno, string? reportedFirst = null) =>
        new("Failed to load snapshot: " + SnapshotException.StrError(errno), errno, reportedFirst is null ? null : [reportedFirst]);

    /// <summary>
    /// qcow2_update_snapshot_refcount: adds <paramref name="addend"/> (-1, 0, 1) to the refcount of every L2 table
    /// and data cluster an L1 table reaches (compressed data per host cluster it touches), and sets each COPIED flag
    /// to "refcount is one" in the L2 tables and the L1 table. Everything is flushed at the end; the L1 table is
    /// written back to <paramref name="l1Offset"/> (when changed and the addend is not negative).
    /// </summary>
    private void UpdateSnapshotRefcount(ulong[] l1, long l1Offset, int addend)
    {
        int cs = ClusterSizeInt;
        ulong max = RefcountBlock.MaxRefcount(Refcounts.Order);
        bool l1Modified = false;
        for (int i = 0; i < l1.Length; i++)
        {
            ulong oldL1 = l1[i];
            long l2Offset = (long)(oldL1 & L2Entry.L1OffsetMask);
            if (l2Offset == 0) continue;
            if ((l2Offset & (cs - 1)) != 0)
                throw new ImageCorruptException($"'{Filename}': L2 table offset {l2Offset:#x} unaligned (L1 index: {i:#x})");
            var l2 = LoadL2(l2Offset, i);
            for (int j = 0; j < L2Entries; j++)
            {
                ulong old = GetEntry(l2, j);
                ulong entry = old & ~L2Entry.Copied;
                ulong refcount;
                switch (L2Entry.ClusterType(entry, HasDataFile))
                {
                    case SubclusterType.Compressed:
                        if (addend != 0)
                        {
                            var d = CompressedDescriptor.Decode(entry, ClusterBits);
                            ChangeRefcount(d.HostOffset, d.Length, addend, max);
                        }
                        refcount = 2; // compressed clusters are never written in place
                        break;
                    case SubclusterType.Normal:
                    case SubclusterType.ZeroAlloc:
                        {
                            long offset = (long)(entry & L2Entry.OffsetMask);
                            if ((offset & (cs - 1)) != 0)
                                throw new ImageCorruptException($"'{Filename}': Cluster allocation offset {offset:#x} unaligned (L2 offset: {l2Offset:#x}, L2 index: {j:#x})");
                            if (addend != 0) ChangeRefcount(offset, cs, addend, max);
                            refcount = Refcounts.GetRefcount(offset >> ClusterBits);
                            break;
                        }
                    default:
                        refcount = 0;
                        break;
                }
                if (refcount == 1) entry |= L2Entry.Copied;
                if (entry != old)
                {
                    // Refcount changes may have evicted nothing from the L2 cache, but fetch it again to be sure.
                    l2 = L2Cache.Get(l2Offset);
                    SetEntry(l2, j, entry, GetBitmap(l2, j));
                    L2Cache.MarkDirty(l2Offset);
                }
            }
            if (addend != 0) ChangeRefcount(l2Offset, cs, addend, max);
            ulong newL1 = (ulong)l2Offset;
            if (Refcounts.GetRefcount(l2Offset >> ClusterBits) == 1) newL1 |= L2Entry.Copied;
            if (newL1 != oldL1)
            {
                l1[i] = newL1;
                l1Modified = true;
            }
        }
        FlushMetadata(markClean: false);
        if (addend >= 0 && l1Modified && l1.Length > 0)
        {
            _file.Write(l1Offset, L1TableBytes(l1, l1.Length));
            _file.Flush();
        }
    }

    /// <summary>One reference more or less for every cluster of a host range; an overflow is qemu's -EINVAL.</summary>
    private void ChangeRefcount(long offset, long length, int addend, ulong max)
    {
        if (addend > 0)
        {
            for (long c = offset >> ClusterBits; c <= (offset + length - 1) >> ClusterBits; c++)
                if (Refcounts.GetRefcount(c) >= max)
                    throw new SnapshotException(SnapshotException.StrError(SnapshotException.EINVAL), SnapshotException.EINVAL);
        }
        Refcounts.Update(offset, length, 1, decrease: addend < 0);
    }

    /// <summary>
    /// qcow2_write_snapshots: the new table goes to newly allocated clusters (refcounts stable first), then the
    /// header's nb_snapshots/snapshots_offset switch to it in one write, then the old table is freed.
    /// </summary>
    private void WriteSnapshotTable(List<SnapshotTableEntry> entries)
    {
        long size = SnapshotTableWriter.Size(entries);
        if (size < 0) throw Errno(SnapshotException.EFBIG);
        long oldOffset = (long)Header.SnapshotsOffset;
        long oldSize = Header.NbSnapshots == 0 ? 0 : SnapshotTableBytes();
        long offset = 0;
        if (entries.Count > 0)
        {
            offset = Refcounts.AllocClusters(size);
            FlushMetadata(markClean: false);
            EnsureNoOverlap(0, offset, size);
            _file.Write(offset, SnapshotTableWriter.Build(entries, VirtualSize));
            _file.Flush();
        }
        Span<byte> h = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(h, (uint)entries.Count);
        BinaryPrimitives.WriteUInt64BigEndian(h[4..], (ulong)offset);
        _file.Write(60, h);
        _file.Flush();
        Header.NbSnapshots = (uint)entries.Count;
        Header.SnapshotsOffset = (ulong)offset;
        _snapshotTableBytes = entries.Count == 0 ? 0 : size;
        SnapshotTable.Clear();
        SnapshotTable.AddRange(entries);
        if (oldSize > 0)
            Refcounts.Free(oldOffset, oldSize);
    }

    /// <summary>
    /// Runs a snapshot operation recording the clusters it frees; afterwards (metadata flushed) those still free
    /// are punched out of the file, as qemu's default discard-snapshot=on does.
    /// </summary>
    private void RunWithSnapshotDiscards(Action action)
    {
        _snapshotDiscards = [];
        try
        {
            action();
            FlushMetadata(markClean: false);
            long last = -2, start = -1;
            foreach (long c in _snapshotDiscards.Select(o => o >> ClusterBits).Distinct().Order())
            {
                if (Refcounts.GetRefcount(c) != 0) continue;
                if (c != last + 1)
                {
                    PunchClusters(start, last);
                    start = c;
                }
                last = c;
            }
            PunchClusters(start, last);
        }
        finally
        {
            _snapshotDiscards = null;
        }
    }

    private void PunchClusters(long first, long last)
    {
        if (first < 0) return;
        // Whole clusters, also past the end of the file (the file size is kept), as qemu's discard does.
        _file.ZeroRange(first << ClusterBits, (last - first + 1) << ClusterBits, deallocate: true);
    }
}
