using System.Buffers.Binary;
using System.Text;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>
/// A hosted sparse extent ("KDMV", VMware's Virtual Disk Format 5.0 section "Hosted Sparse Extents"; qemu's
/// vmdk_open_vmdk4 and get_cluster_offset): a header, a grain directory (GD) of grain-table (GT) sectors, optionally
/// a redundant GD with its own GTs, and grains of data, uncompressed or (stream-optimized) compressed behind grain
/// markers. Opening checks what qemu checks, with its messages. The GD is read once (only the part inside the file:
/// entries past the end read as zero, as through qemu's file protocol, without allocating for them); GTs are read
/// through a 16-table cache.
/// </summary>
internal sealed partial class SparseExtent : VmdkExtent
{
    /// <summary>errno values qemu's failures carry.</summary>
    private const int Eio = 5, Einval = 22;

    /// <summary>qemu's VMDK_GTE_ZEROED: spec "a GTE of 1 means the grain reads as zeros" (version 2+, flag bit 2).</summary>
    internal const uint GteZeroed = 1;

    /// <summary>qemu's VMDK_EXTENT_MAX_SECTORS: grains are only allocated below 2^32 sectors (GTEs are 32-bit sectors).</summary>
    private const long MaxSectors = 1L << 32;

    private readonly SparseExtentHeader _header;
    private readonly long _grainSectors;
    private readonly int _gtes;
    private readonly uint _gdEntrySectors;
    private readonly uint _gdEntries;
    private readonly uint[] _gd;
    private readonly uint[]? _rgd;
    private readonly GrainTableCache _cache;
    private long _nextGrainSector;

    private SparseExtent(HostFile file, string type, long length, SparseExtentHeader header, uint gdEntries, uint gdEntrySectors,
        uint[] gd, uint[]? rgd, bool appendsStream = false)
        : base(type, length, file)
    {
        if (appendsStream) _stream = new StreamAppender(gd, gdEntries);
        _header = header;
        _grainSectors = (long)header.GrainSize;
        _gtes = (int)header.NumGtesPerGt;
        _gdEntries = gdEntries;
        _gdEntrySectors = gdEntrySectors;
        _gd = gd;
        _rgd = rgd;
        _cache = new GrainTableCache(_gtes);
        // qemu's vmdk_add_extent: new grains go after the end of the file rounded up to a whole grain
        _nextGrainSector = RoundUp(FileSectors(file), _grainSectors);
        HasMarkers = header.HasFlag(SparseExtentHeader.FlagMarkers);
        HasZeroedGrains = header.HasFlag(SparseExtentHeader.FlagZeroedGrain);
    }

    /// <summary>The header as read (the footer's copy for a GD-at-end stream).</summary>
    internal SparseExtentHeader Header => _header;

    /// <summary>The disk bytes the header says this extent stores (capacity × 512).</summary>
    public long Capacity => (long)_header.Capacity * 512;

    public override int GrainSize => (int)(_grainSectors * 512);

    /// <summary>qemu: compressed when compressAlgorithm is deflate (then info prints "compressed: true").</summary>
    public override bool IsCompressed => _header.IsCompressed;

    public override bool IsWritable => true;

    /// <summary>Spec flag bit 17: each grain starts with a <see cref="GrainMarker"/>.</summary>
    public bool HasMarkers { get; }

    /// <summary>Spec flag bit 2: GTE 1 means a grain of zeros.</summary>
    public bool HasZeroedGrains { get; }

    /// <summary>The header version (1, 2 or 3).</summary>
    public uint Version => _header.Version;

    private long GrainBytes => _grainSectors * 512;

    /// <summary>
    /// qemu's vmdk_open_vmdk4 for an extent file starting with "KDMV" (the caller checked the magic): the footer for
    /// a GD-at-end stream, the version, table-size and truncation checks, then the grain directories.
    /// <paramref name="length"/> is the disk bytes the extent covers in the device.
    /// </summary>
    public static SparseExtent Open(HostFile file, string type, long length, bool writable)
    {
        var sector = new byte[512];
        file.Read(0, sector);
        var header = SparseExtentHeader.Parse(sector);
        if (header.Magic != VmdkProbe.Vmdk4Magic)
            throw new ImageException("Image not in VMDK format") { Errno = Einval };
        bool gdAtEnd = header.GdOffset == SparseExtentHeader.GdAtEnd;
        if (gdAtEnd)
            header = ReadFooter(file);

        // qemu: "VMware KB 2064959": version 3 adds changed-block tracking, readable as version 1
        if (header.Version > 3)
            throw new ImageException($"Unsupported VMDK version {header.Version}") { Errno = 95 };
        if (header.Version == 3 && writable && !header.IsCompressed)
            throw new ImageException("VMDK version 3 must be read only") { Errno = Einval };
        if (header.NumGtesPerGt > 512) // spec: numGTEsPerGT is 512; qemu takes fewer, never more
            throw new ImageException("L2 table size too big") { Errno = Einval };
        uint gdEntrySectors = unchecked((uint)(header.NumGtesPerGt * header.GrainSize)); // qemu's uint32 l1_entry_sectors
        if (gdEntrySectors == 0)
            throw new ImageException("L1 entry size is invalid") { Errno = Einval };
        uint gdEntries = unchecked((uint)((header.Capacity + gdEntrySectors - 1) / gdEntrySectors)); // qemu's uint32 l1_size
        long rgdBytes = header.HasFlag(SparseExtentHeader.FlagRedundantGrainTable) ? unchecked((long)(header.RgdOffset << 9)) : 0;
        if ((ulong)FileSectors(file) < header.OverHead)
            throw new ImageException($"File truncated, expecting at least {unchecked((long)(header.OverHead * 512))} bytes") { Errno = Einval };
        if (header.GrainSize > 0x200000) // qemu: a 1 GiB grain is unrealistic
            throw new ImageException("Invalid granularity, image may be corrupt") { Errno = 27 };
        if (gdEntries > 32 * 1024 * 1024) // qemu bounds the GD it allocates (8 TB of 512-byte grains)
            throw new ImageException("L1 size too big") { Errno = 27 };

        if (header.Capacity > long.MaxValue / 512) // qemu's block layer: a disk must measure in int64 bytes
            throw new ImageException("Could not refresh total sector count: File too large") { Errno = 27 };
        long gdBytes = unchecked((long)(header.GdOffset << 9));
        uint[] gd = ReadDirectory(file, gdBytes, gdEntries, "l1 table");
        uint[]? rgd = rgdBytes != 0 ? ReadDirectory(file, rgdBytes, gdEntries, "l1 backup table") : null;
        // a GD-at-end stream (VMware's layout) is written as VMware writes one: appended to, trailer rewritten
        bool appends = gdAtEnd && writable && header.IsCompressed && header.HasFlag(SparseExtentHeader.FlagMarkers);
        return new SparseExtent(file, type, length, header, gdEntries, gdEntrySectors, gd, rgd, appends);
    }

    /// <summary>
    /// The text of the descriptor embedded at the header's descriptorOffset (up to its descriptorSize, at most
    /// 1 MiB - 1 as qemu reads it, ending at the first NUL), or null when the header names none.
    /// </summary>
    public static string? ReadEmbeddedDescriptor(HostFile file)
    {
        var sector = new byte[512];
        file.Read(0, sector);
        var header = SparseExtentHeader.Parse(sector);
        if (header.Magic != VmdkProbe.Vmdk4Magic || header.DescriptorOffset == 0 || header.DescriptorOffset > long.MaxValue / 512)
            return null;
        long offset = (long)header.DescriptorOffset * 512;
        long max = (1 << 20) - 1;
        if (header.DescriptorSize != 0 && header.DescriptorSize < (ulong)max / 512)
            max = (long)header.DescriptorSize * 512;
        long count = Math.Min(max, Math.Max(0, file.Length - offset));
        var buf = new byte[count];
        file.Read(offset, buf);
        int nul = Array.IndexOf(buf, (byte)0);
        return Encoding.Latin1.GetString(buf, 0, nul < 0 ? buf.Length : nul);
    }

    /// <summary>
    /// qemu's footer read for gdOffset GD_AT_END: the three sectors before the end of the file are the footer marker,
    /// the footer (a header copy with the real gdOffset) and the end-of-stream marker (spec: "Stream-Optimized
    /// Compressed Sparse Extents").
    /// </summary>
    private static SparseExtentHeader ReadFooter(HostFile file)
    {
        long start = FileSectors(file) * 512 - 1536;
        if (start < 0)
            throw new ImageException("Failed to read footer: Input/output error") { Errno = Eio };
        var footer = new byte[1536];
        file.Read(start, footer);
        var marker = MetadataMarker.Parse(footer);
        var copy = SparseExtentHeader.Parse(footer.AsSpan(512));
        var eos = MetadataMarker.Parse(footer.AsSpan(1024));
        if (copy.Magic != VmdkProbe.Vmdk4Magic || marker.Size != 0 || marker.Type != MetadataMarker.Footer ||
            eos.NumSectors != 0 || eos.Size != 0 || eos.Type != MetadataMarker.EndOfStream)
            throw new ImageException("Invalid footer") { Errno = Einval };
        return copy;
    }

    /// <summary>
    /// A grain directory: the entries inside the file; those past its end read as zero (not stored). An offset
    /// beyond what a read can reach (a sector number of 2^55 or more) fails as qemu's read does.
    /// </summary>
    private static uint[] ReadDirectory(HostFile file, long offset, uint entries, string what)
    {
        if (offset < 0 || offset > long.MaxValue - 4L * entries)
            throw new ImageException($"Could not read {what} from extent '{file.Path}': Input/output error") { Errno = Eio };
        long inFile = Math.Clamp((file.Length - offset + 3) / 4, 0, entries);
        var bytes = new byte[inFile * 4];
        file.Read(offset, bytes);
        var gd = new uint[inFile];
        for (int i = 0; i < gd.Length; i++) gd[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * 4));
        return gd;
    }

    private static long FileSectors(HostFile file) => (file.Length + 511) / 512;

    private static long RoundUp(long value, long unit) => (value + unit - 1) / unit * unit;

    private static ImageException Error(int errno) =>
        new(errno == Eio ? "Input/output error" : "Invalid argument") { Errno = errno };

    /// <summary>Where one grain is described: its GD index, its GT's sector (0 = no GT) and index, and the GTE.</summary>
    private readonly record struct GrainSlot(uint GdIndex, uint GtSector, int GtIndex, uint Entry);

    /// <summary>qemu's get_cluster_offset without allocation: the slot for the grain holding <paramref name="offset"/>.</summary>
    private GrainSlot Locate(long offset, int errnoOutside)
    {
        ulong sector = (ulong)offset >> 9;
        ulong gdIndex = sector / _gdEntrySectors;
        if (gdIndex >= _gdEntries) throw Error(errnoOutside);
        int index = (int)((sector / (ulong)_grainSectors) % (ulong)_gtes);
        if (_stream?.OpenTableFor((uint)gdIndex) is { } open) // a VMware-layout table not written yet
            return new GrainSlot((uint)gdIndex, StreamAppender.InMemoryTable, index, open[index]);
        uint gt = _stream is not null ? _stream.Directory[gdIndex] : gdIndex < (ulong)_gd.Length ? _gd[gdIndex] : 0;
        if (gt == 0) return new GrainSlot((uint)gdIndex, 0, index, 0); // the index: a VMware-layout stream makes the table
        uint[] table = _cache.Get(gt, LoadTable);
        return new GrainSlot((uint)gdIndex, gt, index, table[index]);
    }

    private void LoadTable(uint sector, uint[] table)
    {
        var bytes = new byte[table.Length * 4];
        File!.Read((long)sector * 512, bytes); // past the end of the file: zeros, as in qemu
        for (int i = 0; i < table.Length; i++) table[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * 4));
    }

    private bool IsZeroed(uint entry) => HasZeroedGrains && entry == GteZeroed;

    public override GrainRun Lookup(long offset, long maxLength)
    {
        long inGrain = offset % GrainBytes;
        long n = Math.Min(maxLength, GrainBytes - inGrain);
        var slot = Locate(offset, Eio);
        if (slot.Entry == 0 || IsZeroed(slot.Entry))
        {
            var state = slot.Entry == 0 ? GrainState.Unallocated : GrainState.Zero;
            // the same answer for the following grains, a whole missing GT at a time
            long gdEntryBytes = (long)_gdEntrySectors * 512;
            while (n < maxLength && offset + n < Length)
            {
                long next = offset + n;
                if ((ulong)(next >> 9) / _gdEntrySectors >= _gdEntries) break; // qemu fails there; not this run
                var s = Locate(next, Eio);
                if (s.Entry != slot.Entry) break;
                n = Math.Min(maxLength, n + (s.GtSector == 0 ? gdEntryBytes - next % gdEntryBytes : GrainBytes));
            }
            return new GrainRun(state, 0, n);
        }
        long host = (long)slot.Entry * 512;
        if (IsCompressed)
            return new GrainRun(GrainState.Compressed, host, n);
        // consecutive grains stored one after the other in the same GT read in one request
        for (long next = offset + n; n < maxLength && next < Length; next = offset + n)
        {
            if ((ulong)(next >> 9) / _gdEntrySectors != slot.GdIndex) break;
            var s = Locate(next, Eio);
            if (IsZeroed(s.Entry) || (long)s.Entry * 512 != host + inGrain + (next - offset))
                break;
            n = Math.Min(maxLength, n + GrainBytes);
        }
        return new GrainRun(GrainState.Data, host + inGrain, n);
    }
}
