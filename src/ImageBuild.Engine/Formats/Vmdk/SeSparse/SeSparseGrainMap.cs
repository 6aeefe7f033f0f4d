using System.Buffers.Binary;
using ImageBuild.Engine.Formats.Vmdk.Cowd;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Vmdk.SeSparse;

/// <summary>
/// The grain map of an ESXi seSparse extent (qemu's vmdk_open_se_sparse, read-only in qemu): a grain directory of
/// u64 <see cref="SeSparseGrainDirectoryEntry"/> values naming grain tables of 4096 u64
/// <see cref="SeSparseGrainTableEntry"/> values, each covering one 4 KiB grain (8 sectors), so a directory entry
/// covers 16 MiB. Arithmetic on header fields wraps at 64 bits as qemu's does (a huge offset can land back inside
/// the file); what qemu's block layer then refuses to read fails as it does. The directory is read in pages and the
/// tables through a 16-entry cache; entries past the end of the file read as zeros (unallocated), as in qemu.
/// </summary>
internal sealed class SeSparseGrainMap : IGrainMap
{
    private const int GrainSectors = (int)SeSparseConstHeader.SupportedGrainSize;
    private const int GrainBytes = GrainSectors << 9;
    private const int TableBytes = (int)SeSparseConstHeader.SupportedGrainTableSize << 9;
    private const int TableEntries = TableBytes / 8;
    private const uint L1EntrySectors = TableEntries * GrainSectors;
    private const int L1PageBytes = 4096;
    private const int L1CachedPages = 64;
    private const int L2CacheSize = 16;

    private readonly HostFile _file;
    private readonly long _l1Offset;
    private readonly uint _l1Size;
    private readonly TableCache _l1Pages;
    private readonly TableCache _l2Tables;
    private readonly Lock _gate = new(); // the caches are shared by concurrent lookups, as qemu's are under s->lock

    private SeSparseGrainMap(HostFile file, SeSparseConstHeader header, SeSparseVolatileHeader volatileHeader,
        long l1Offset, uint l1Size)
    {
        _file = file;
        Header = header;
        VolatileHeader = volatileHeader;
        _l1Offset = l1Offset;
        _l1Size = l1Size;
        _l1Pages = new TableCache(file, L1PageBytes, L1CachedPages);
        _l2Tables = new TableCache(file, TableBytes, L2CacheSize);
    }

    public SeSparseConstHeader Header { get; }
    public SeSparseVolatileHeader VolatileHeader { get; }

    /// <summary>qemu's extent sectors: the header's capacity taken as a signed 64-bit count (a descriptor line's own count is ignored).</summary>
    public long Sectors => unchecked((long)Header.Capacity);

    /// <summary>
    /// The extent's size in bytes. qemu opens an extent whose capacity in bytes does not fit in 63 bits but then
    /// cannot give the image's length (bdrv_getlength: EFBIG, "File too large"); this throws that error.
    /// </summary>
    public long Capacity => Sectors is >= 0 and <= long.MaxValue >> 9
        ? Sectors << 9
        : throw new ImageException("File too large") { Errno = SnapshotException.EFBIG };

    /// <summary>The grain size in bytes: always 4096 (qemu accepts grain_size 8 only).</summary>
    public long ClusterSize => GrainBytes;

    /// <summary>Reads and checks the const and volatile headers as qemu does, with its messages, in its order.</summary>
    public static SeSparseGrainMap Open(HostFile file)
    {
        Span<byte> sector = stackalloc byte[SeSparseConstHeader.Size];
        file.Read(0, sector);
        var header = SeSparseConstHeader.Parse(sector);
        header.Check();

        long volatileOffset = unchecked((long)(header.VolatileHeaderOffset * 512));
        if (!TableCache.IsReadable(volatileOffset, SeSparseVolatileHeader.Size))
            throw new ImageException($"Could not read volatile header from file '{file.Path}': Input/output error") { Errno = SnapshotException.EIO };
        file.Read(volatileOffset, sector);
        var volatileHeader = SeSparseVolatileHeader.Parse(sector);
        volatileHeader.Check();

        // qemu passes grain_dir_size * 512 / 8 as a u32 L1 size: the product wraps at 64 bits, the quotient at 32.
        uint l1Size = unchecked((uint)(header.GrainDirSize * 512 / 8));
        if (l1Size > CowdGrainMap.MaxL1Size)
            throw new ImageException("L1 size too big") { Errno = SnapshotException.EFBIG };
        long l1Offset = unchecked((long)(header.GrainDirOffset * 512));
        if (!TableCache.IsReadable(l1Offset, (long)l1Size * 8))
            throw new ImageException($"Could not read l1 table from extent '{file.Path}': Input/output error") { Errno = SnapshotException.EIO };
        return new SeSparseGrainMap(file, header, volatileHeader, l1Offset, l1Size);
    }

    public GrainRun Lookup(long offset, long maxLength)
    {
        lock (_gate) return LookupLocked(offset, maxLength);
    }

    private GrainRun LookupLocked(long offset, long maxLength)
    {
        ulong sector = (ulong)offset >> 9;
        ulong l1Index = sector / L1EntrySectors;
        if (l1Index >= _l1Size)
            throw Corrupt($"offset {offset} lies past the grain directory ({_l1Size} entries)");

        long l1Byte = (long)l1Index * 8;
        long page = l1Byte / L1PageBytes;
        var directoryEntry = new SeSparseGrainDirectoryEntry(BinaryPrimitives.ReadUInt64LittleEndian(
            _l1Pages.Get(_l1Offset + page * L1PageBytes)[(int)(l1Byte % L1PageBytes)..]));
        long directoryEnd = (long)(l1Index + 1) * L1EntrySectors << 9;
        if (directoryEntry.IsUnallocated)
            return new GrainRun(GrainState.Unallocated, 0, Math.Min(maxLength, directoryEnd - offset));
        if (!directoryEntry.IsValid)
            throw Corrupt($"grain directory entry {l1Index} is invalid (0x{directoryEntry.Value:x16})");
        ulong tableSector = unchecked(Header.GrainTablesOffset + (ulong)directoryEntry.TableNumber * TableBytes / 512);
        if (tableSector > uint.MaxValue)
            throw Corrupt($"grain table {directoryEntry.TableNumber} of grain directory entry {l1Index} lies at sector {tableSector}, past the 32-bit sector range");
        if (tableSector == 0)
            return new GrainRun(GrainState.Unallocated, 0, Math.Min(maxLength, directoryEnd - offset));

        long tableOffset = (long)tableSector << 9;
        int l2Index = (int)(sector / GrainSectors % TableEntries);
        var entry = new SeSparseGrainTableEntry(BinaryPrimitives.ReadUInt64LittleEndian(_l2Tables.Get(tableOffset)[(l2Index * 8)..]));
        long inCluster = offset % GrainBytes;
        long length = Math.Min(maxLength, GrainBytes - inCluster);
        switch (entry.Kind)
        {
            case SeSparseGrainTableEntry.EntryKind.Unallocated:
                return new GrainRun(GrainState.Unallocated, 0, length);
            case SeSparseGrainTableEntry.EntryKind.Zero:
                return new GrainRun(GrainState.Zero, 0, length);
            case SeSparseGrainTableEntry.EntryKind.Allocated:
                ulong clusterSector = unchecked(Header.GrainsOffset + entry.GrainIndex * GrainSectors);
                if (clusterSector == 0) // qemu takes a grain at sector 0 for an unallocated one
                    return new GrainRun(GrainState.Unallocated, 0, length);
                long host = unchecked((long)((clusterSector << 9) + (ulong)inCluster));
                if (!TableCache.IsReadable(host, length))
                    throw Corrupt($"grain {entry.GrainIndex} of grain table entry {l2Index} at offset {tableOffset} lies at host offset {unchecked((ulong)host)}, past what a read may reach");
                return new GrainRun(GrainState.Data, host, length);
            default:
                throw Corrupt($"grain table entry {l2Index} of the grain table at offset {tableOffset} is invalid (0x{entry.Value:x16})");
        }
    }

    /// <summary>qemu fails these lookups with EIO and no message of its own.</summary>
    private ImageCorruptException Corrupt(string what) =>
        new($"'{_file.Path}': {what}") { Errno = SnapshotException.EIO };
}
