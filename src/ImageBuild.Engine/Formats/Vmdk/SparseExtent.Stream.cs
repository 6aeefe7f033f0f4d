using System.Buffers;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>
/// Writing a stream whose header says GD_AT_END (VMware's layout, <see cref="VmwareStreamLayout"/>; qemu 7.2 writes
/// such a stream only by corrupting it). The trailer (GD marker, directory, footer, end of stream) is cut off at the
/// first write and written again when the writes end: grains are appended behind grain markers, padded to a sector
/// (spec: "each grain is stored in a whole number of sectors"), a grain table is written behind its GT marker when a
/// grain of another table comes (so, for ascending writes, after the grains it covers, as VMware orders them), and
/// all-zero grains are left out (VMware's streams have no parent: an absent grain reads as zeros). Only one grain
/// table is held in memory; the directory is kept whole (4 bytes per 512 grains).
/// </summary>
internal sealed partial class SparseExtent
{
    private readonly StreamAppender? _stream;

    /// <summary>A VMware-layout stream's grains go through zlib-ng (<see cref="VmwareStreamGrainCompressor"/>); qemu's layout keeps qemu's zlib.</summary>
    public override Compression.ClusterCompressor CreateGrainCompressor(Compression.DeflateLibrary deflate) =>
        _stream is not null ? new VmwareStreamGrainCompressor() : new VmdkGrainCompressor(deflate);

    /// <summary>The append state of a VMware-layout stream.</summary>
    private sealed class StreamAppender(uint[] gd, uint gdEntries)
    {
        /// <summary>The GtSector of a slot whose table is only in memory (never a real sector: GTEs are below 2^32 - 1).</summary>
        public const uint InMemoryTable = uint.MaxValue;

        /// <summary>The whole directory: the file's entries, then those of the tables written since.</summary>
        public uint[] Directory { get; } = CopyDirectory(gd, gdEntries);

        /// <summary>The sector where the next grain or table goes (the trailer's first sector); -1 until the first write.</summary>
        public long AppendSector { get; set; } = -1;

        /// <summary>Whether the trailer was cut off and must be written again.</summary>
        public bool TrailerMissing { get; set; }

        public int OpenIndex { get; set; } = -1;

        public uint[]? OpenTable { get; set; }

        public uint[]? OpenTableFor(uint gdIndex) => OpenIndex == gdIndex ? OpenTable : null;

        private static uint[] CopyDirectory(uint[] gd, uint entries)
        {
            var all = new uint[entries];
            gd.AsSpan(0, (int)Math.Min(gd.Length, entries)).CopyTo(all);
            return all;
        }
    }

    /// <summary>
    /// Where appending starts: at the GD marker when the directory runs up to the footer marker (as this layout and
    /// VMware's streams end), else at the footer marker (an old directory elsewhere stays behind, unused).
    /// Never inside overHead.
    /// </summary>
    private long FindAppendSector()
    {
        long footerMarker = FileSectors(File!) - 3;
        long start = footerMarker;
        long gdSector = (long)Math.Min(_header.GdOffset, long.MaxValue / 1024);
        long gdSectors = (long)VmwareStreamLayout.DirectorySectors(_header);
        if (gdSector >= 2 && gdSector + gdSectors == footerMarker)
        {
            Span<byte> sector = stackalloc byte[512];
            File!.Read((gdSector - 1) * 512, sector);
            var marker = MetadataMarker.Parse(sector);
            if (marker is { Size: 0, Type: MetadataMarker.GrainDirectory } && marker.NumSectors == (ulong)gdSectors)
                start = gdSector - 1;
        }
        return Math.Max(start, (long)Math.Min(_header.OverHead, (ulong)long.MaxValue / 1024));
    }

    /// <summary>The append position, cutting off the trailer first when it is there.</summary>
    private long StartAppending()
    {
        var s = _stream!;
        if (s.AppendSector < 0) s.AppendSector = FindAppendSector();
        if (!s.TrailerMissing)
        {
            File!.SetLength(s.AppendSector * 512);
            s.TrailerMissing = true;
        }
        return s.AppendSector;
    }

    /// <summary>The in-memory table for <paramref name="gdIndex"/>, writing out the one open before (its grains are all written when writes ascend).</summary>
    private uint[] OpenStreamTable(uint gdIndex)
    {
        var s = _stream!;
        if (s.OpenIndex == gdIndex) return s.OpenTable!;
        FlushStreamTable();
        var table = new uint[_gtes];
        uint existing = s.Directory[gdIndex];
        if (existing != 0) LoadTable(existing, table); // a table written before: rewritten later with the new grains
        s.OpenIndex = (int)gdIndex;
        s.OpenTable = table;
        return table;
    }

    /// <summary>Spec: the grain table after its grains, behind a GT marker; the directory entry names the table's sector.</summary>
    private void FlushStreamTable()
    {
        var s = _stream!;
        if (s.OpenTable is null) return;
        long at = StartAppending();
        s.AppendSector = VmwareStreamLayout.WriteGrainTable(File!, at, _header, s.OpenTable);
        s.Directory[s.OpenIndex] = checked((uint)(at + 1));
        s.OpenIndex = -1;
        s.OpenTable = null;
    }

    /// <summary>
    /// One compressed grain appended: the grain marker (spec: lba = the grain's first sector, size = the deflate
    /// data's bytes), the data, zeros to the sector's end. Whole grains only, each written once, as qemu requires.
    /// </summary>
    private void AppendStreamGrain(long offset, ReadOnlySpan<byte> compressed)
    {
        if (offset % GrainBytes != 0 || compressed.IsEmpty) throw Error(Einval);
        var slot = Locate(offset, Einval);
        if (slot.Entry != 0)
            throw new ImageException("Could not write to allocated cluster for streamOptimized") { Errno = Eio };
        uint[] table = OpenStreamTable(slot.GdIndex);
        long at = StartAppending();
        int total = GrainMarker.HeaderSize + compressed.Length;
        int padded = (total + 511) / 512 * 512;
        if (at + padded / 512 >= MaxSectors) throw Error(Einval); // a GTE holds a 32-bit sector
        byte[] buf = ArrayPool<byte>.Shared.Rent(padded);
        try
        {
            new GrainMarker((ulong)offset >> 9, (uint)compressed.Length).WriteTo(buf);
            compressed.CopyTo(buf.AsSpan(GrainMarker.HeaderSize));
            buf.AsSpan(total, padded - total).Clear();
            File!.Write(at * 512, buf.AsSpan(0, padded));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
        }
        table[slot.GtIndex] = (uint)at;
        _stream!.AppendSector = at + padded / 512;
    }

    /// <summary>A plain write into the stream: whole grains (the last may end at the disk's end), compressed and appended; zero grains left out.</summary>
    private void WriteStreamPieces(long offset, ReadOnlySpan<byte> src)
    {
        var compressor = CreateGrainCompressor(Compression.DeflateLibrary.RuntimeZlibNg);
        byte[] payload = ArrayPool<byte>.Shared.Rent((int)(2 * GrainBytes));
        try
        {
            while (!src.IsEmpty)
            {
                int n = (int)Math.Min(src.Length, GrainBytes - offset % GrainBytes);
                if (offset % GrainBytes != 0 || (n < GrainBytes && offset + n != Length)) throw Error(Einval);
                var slot = Locate(offset, Einval);
                if (slot.Entry != 0)
                    throw new ImageException("Could not write to allocated cluster for streamOptimized") { Errno = Eio };
                if (src[..n].ContainsAnyExcept((byte)0))
                {
                    int len = compressor.Compress(src[..n], payload.AsSpan(0, (int)(2 * GrainBytes)));
                    if (len <= 0) throw Error(Einval);
                    AppendStreamGrain(offset, payload.AsSpan(0, len));
                }
                offset += n;
                src = src[n..];
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(payload);
        }
    }

    /// <summary>Zeros: nothing to write over grains never written (they read as zeros); written grains cannot be changed.</summary>
    private bool ZeroStream(long offset, long length)
    {
        for (long pos = offset - offset % GrainBytes; pos < offset + length; pos += GrainBytes)
            if (Locate(pos, Einval).Entry != 0)
                throw new ImageException("Could not write to allocated cluster for streamOptimized") { Errno = Eio };
        return true;
    }

    /// <summary>The end of a run of writes: the open table, then the trailer (spec: GD marker, GD, footer marker, footer, EOS).</summary>
    private void FinishStream()
    {
        var s = _stream!;
        if (!s.TrailerMissing) return;
        FlushStreamTable();
        VmwareStreamLayout.WriteTrailer(File!, s.AppendSector, _header, s.Directory);
        s.TrailerMissing = false;
    }
}
