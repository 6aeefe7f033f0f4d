using System.Buffers.Binary;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>
/// A stream-optimized extent as VMware's own tools write it (create option stream_layout=vmware, beyond qemu-img, whose
/// streams keep the grain directory and tables preallocated at the start and end without markers or footer). The
/// layout follows VMware's Virtual Disk Format 5.0, "Stream-Optimized Compressed Sparse Extents": a header saying
/// GD_AT_END, the embedded descriptor, then in stream order the compressed grains (ascending LBA, all-zero grains
/// left out), each grain table behind a GT marker once its grains are written, the grain directory behind a GD
/// marker, a footer marker with the footer (the header again with the real gdOffset), and an end-of-stream marker.
/// This class holds the fixed parts (header, tables, trailer); <see cref="SparseExtent"/> appends the grains.
/// </summary>
internal static class VmwareStreamLayout
{
    /// <summary>Spec: the default grain of 128 sectors (64 KiB), as VMware's streams use.</summary>
    public const ulong GrainSectors = 128;

    /// <summary>Spec: numGTEsPerGT is 512 (a GT is 4 sectors).</summary>
    public const uint GtesPerGt = 512;

    /// <summary>Spec: the embedded descriptor follows the header at sector 1.</summary>
    public const ulong DescriptorOffset = 1;

    /// <summary>20 sectors for the descriptor, as open-vmdk's vmdk-convert and qemu reserve (qemu rewrites the CID over 20 sectors).</summary>
    public const ulong DescriptorSectors = 20;

    /// <summary>Spec: overHead is a whole number of grains; the first grain marker is at sector 128, as in VMware's streams.</summary>
    public const ulong OverHeadSectors = 128;

    /// <summary>
    /// The header at sector 0: version 3 (spec: stream-optimized), flags bit 0 (newline test), 16 (compressed) and 17
    /// (markers) and not bit 1 (spec: a stream has no redundant directory, rgdOffset 0), deflate, gdOffset GD_AT_END.
    /// </summary>
    public static SparseExtentHeader NewHeader(long bytes) => new()
    {
        Version = 3,
        Flags = SparseExtentHeader.FlagNewlineDetect | SparseExtentHeader.FlagCompressed | SparseExtentHeader.FlagMarkers,
        Capacity = (ulong)((bytes + 511) / 512), // spec: capacity in sectors; the size is kept (qemu rounds it to a sector only)
        GrainSize = GrainSectors,
        DescriptorOffset = DescriptorOffset,
        DescriptorSize = DescriptorSectors,
        NumGtesPerGt = GtesPerGt,
        RgdOffset = 0,
        GdOffset = SparseExtentHeader.GdAtEnd, // spec: the real gdOffset is in the footer
        OverHead = OverHeadSectors,
        CompressAlgorithm = SparseExtentHeader.CompressionDeflate,
    };

    /// <summary>A GD entry per 512 grains (spec: the directory covers the whole capacity).</summary>
    public static uint DirectoryEntries(SparseExtentHeader h) =>
        checked((uint)((h.Capacity + h.GrainSize * h.NumGtesPerGt - 1) / (h.GrainSize * h.NumGtesPerGt)));

    /// <summary>Sectors of the directory (spec: the GD marker's numSectors).</summary>
    public static ulong DirectorySectors(SparseExtentHeader h) => ((ulong)DirectoryEntries(h) * 4 + 511) / 512;

    /// <summary>Sectors of one grain table (spec: the GT marker's numSectors, 4 for 512 entries).</summary>
    public static ulong TableSectors(SparseExtentHeader h) => ((ulong)h.NumGtesPerGt * 4 + 511) / 512;

    /// <summary>
    /// A complete empty stream of <paramref name="bytes"/>: the header, room for the descriptor up to overHead, and the
    /// trailer with a directory of zeros (spec: no grain, no grain table), so that an image never written is whole.
    /// </summary>
    public static void InitExtent(HostFile file, long bytes)
    {
        var header = NewHeader(bytes);
        file.Write(0, header.ToSector());
        file.SetLength((long)OverHeadSectors * 512);
        WriteTrailer(file, (long)OverHeadSectors, header, new uint[DirectoryEntries(header)]);
    }

    /// <summary>
    /// Spec: a grain table in the stream is a GT marker (numSectors = the table's sectors) and the table right after it.
    /// Returns the sector after it; the table itself is at <paramref name="sector"/> + 1.
    /// </summary>
    public static long WriteGrainTable(HostFile file, long sector, SparseExtentHeader h, ReadOnlySpan<uint> table)
    {
        long tableSectors = (long)TableSectors(h);
        var buf = new byte[(1 + tableSectors) * 512];
        new MetadataMarker((ulong)tableSectors, 0, MetadataMarker.GrainTable).WriteTo(buf);
        for (int i = 0; i < table.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(buf.AsSpan(512 + i * 4), table[i]);
        file.Write(sector * 512, buf);
        return sector + 1 + tableSectors;
    }

    /// <summary>
    /// The end of a stream from <paramref name="sector"/>: GD marker and directory, footer marker (spec: numSectors 1),
    /// the footer (the header with gdOffset set to the directory's sector) and the end-of-stream marker (a zero
    /// sector); the file ends there. Returns the directory's sector.
    /// </summary>
    public static long WriteTrailer(HostFile file, long sector, SparseExtentHeader header, ReadOnlySpan<uint> gd)
    {
        long gdSectors = (long)DirectorySectors(header);
        long gdSector = sector + 1;
        var buf = new byte[(1 + gdSectors + 3) * 512];
        new MetadataMarker((ulong)gdSectors, 0, MetadataMarker.GrainDirectory).WriteTo(buf);
        for (int i = 0; i < gd.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(buf.AsSpan(512 + i * 4), gd[i]);
        int footerAt = (int)(1 + gdSectors) * 512;
        new MetadataMarker(1, 0, MetadataMarker.Footer).WriteTo(buf.AsSpan(footerAt));
        var footer = SparseExtentHeader.Parse(header.ToSector());
        footer.GdOffset = (ulong)gdSector;
        footer.WriteTo(buf.AsSpan(footerAt + 512));
        // the last sector stays zero: the end-of-stream marker (spec: numSectors 0, size 0, type MARKER_EOS)
        file.Write(sector * 512, buf);
        file.SetLength((sector + 1 + gdSectors + 3) * 512);
        return gdSector;
    }
}
