using System.Buffers.Binary;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Vmdk.Cowd;

/// <summary>
/// The grain map of a COWD sparse file (qemu's vmdk_open_vmfs_sparse), whether opened on its own or as a SPARSE /
/// VMFSSPARSE extent of a descriptor: a grain directory of <see cref="CowdHeader.L1DirSize"/> u32 entries at
/// <see cref="CowdHeader.L1DirOffset"/>, each naming (in sectors) a grain table of 4096 u32 entries, each naming (in
/// sectors) a grain of <see cref="CowdHeader.Granularity"/> sectors, 0 for unallocated. COWD has no zeroed grains and
/// no compression. The directory is read in pages and the tables through a 16-entry cache, so memory does not follow
/// the header's sizes; entries past the end of the file read as zeros (unallocated), as in qemu.
/// </summary>
internal sealed class CowdGrainMap : IGrainMap
{
    /// <summary>qemu's largest cluster: 0x200000 sectors (1 GiB).</summary>
    public const uint MaxGranularity = 0x200000;

    /// <summary>qemu's largest L1 table: 32 Mi entries.</summary>
    public const uint MaxL1Size = 32 * 1024 * 1024;

    private const int L1PageBytes = 4096;
    private const int L1CachedPages = 64;
    private const int L2CacheSize = 16;

    private readonly HostFile _file;
    private readonly long _l1Offset;
    private readonly uint _l1Size;
    private readonly uint _l1EntrySectors;
    private readonly long _clusterBytes;
    private readonly TableCache _l1Pages;
    private readonly TableCache _l2Tables;
    private readonly Lock _gate = new(); // the caches are shared by concurrent lookups, as qemu's are under s->lock

    private CowdGrainMap(HostFile file, CowdHeader header)
    {
        _file = file;
        Header = header;
        _l1Offset = (long)header.L1DirOffset << 9;
        _l1Size = header.L1DirSize;
        // qemu keeps l1_entry_sectors in a u32: for granularities of 2^20 sectors and more the product wraps.
        _l1EntrySectors = unchecked((uint)((ulong)CowdHeader.GrainTableEntries * header.Granularity));
        _clusterBytes = (long)header.Granularity << 9;
        _l1Pages = new TableCache(file, L1PageBytes, L1CachedPages);
        _l2Tables = new TableCache(file, CowdHeader.GrainTableEntries * 4, L2CacheSize);
    }

    public CowdHeader Header { get; }

    /// <summary>The extent's size in bytes (disk_sectors; qemu ignores a descriptor extent line's own count for it).</summary>
    public long Capacity => (long)Header.DiskSectors << 9;

    /// <summary>The grain size in bytes (granularity sectors).</summary>
    public long ClusterSize => _clusterBytes;

    /// <summary>
    /// Reads the header after the magic (the caller has dispatched on <see cref="CowdHeader.HasMagic"/>, as qemu's
    /// vmdk_open_sparse does) and applies qemu's checks, with its messages.
    /// </summary>
    public static CowdGrainMap Open(HostFile file)
    {
        var header = CowdHeader.Read(file);
        if (header.Granularity > MaxGranularity)
            throw new ImageException("Invalid granularity, image may be corrupt") { Errno = SnapshotException.EFBIG };
        if (header.L1DirSize > MaxL1Size)
            throw new ImageException("L1 size too big") { Errno = SnapshotException.EFBIG };
        return new CowdGrainMap(file, header);
    }

    public GrainRun Lookup(long offset, long maxLength)
    {
        lock (_gate) return LookupLocked(offset, maxLength);
    }

    private GrainRun LookupLocked(long offset, long maxLength)
    {
        if (_l1EntrySectors == 0)
            throw Corrupt($"granularity {Header.Granularity} makes a grain directory entry cover 0 sectors");
        ulong sector = (ulong)offset >> 9;
        ulong l1Index = sector / _l1EntrySectors;
        if (l1Index >= _l1Size)
            throw Corrupt($"offset {offset} lies past the grain directory ({_l1Size} entries of {_l1EntrySectors} sectors)");

        long l1Byte = (long)l1Index * 4;
        long page = l1Byte / L1PageBytes;
        uint l2Sector = BinaryPrimitives.ReadUInt32LittleEndian(
            _l1Pages.Get(_l1Offset + page * L1PageBytes)[(int)(l1Byte % L1PageBytes)..]);
        if (l2Sector == 0)
        {
            ulong endSector = (l1Index + 1) * _l1EntrySectors;
            long end = endSector > long.MaxValue >> 9 ? long.MaxValue : (long)endSector << 9;
            return new GrainRun(GrainState.Unallocated, 0, Math.Min(maxLength, end - offset));
        }

        var table = _l2Tables.Get((long)l2Sector << 9);
        int l2Index = (int)(sector / Header.Granularity % CowdHeader.GrainTableEntries);
        uint grainSector = BinaryPrimitives.ReadUInt32LittleEndian(table[(l2Index * 4)..]);
        long inCluster = offset % _clusterBytes;
        long length = Math.Min(maxLength, _clusterBytes - inCluster);
        return grainSector == 0
            ? new GrainRun(GrainState.Unallocated, 0, length)
            : new GrainRun(GrainState.Data, ((long)grainSector << 9) + inCluster, length);
    }

    /// <summary>qemu fails these lookups with EIO and no message of its own.</summary>
    private ImageCorruptException Corrupt(string what) =>
        new($"'{_file.Path}': {what}") { Errno = SnapshotException.EIO };
}
