using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Parallels;

/// <summary>
/// An opened Parallels image (qemu 7.2's block/parallels.c): guest cluster i lives at BAT[i] × off_multiplier
/// sectors (off_multiplier is 1 for the old magic, the cluster size in sectors for the new); a zero entry reads
/// from the backing file or as zeros. Opened read-write, the header's in-use marker is set at once and cleared on
/// close, when the file is also cut back to the end of the data (qemu grows it ahead of the writes). An image whose
/// marker is still set opens read-write only for check, which reports (and with -r repairs) it.
/// </summary>
public sealed partial class ParallelsDevice : BlockDevice
{
    private readonly HostFile _file;
    private readonly ParallelsHeader _header;
    private readonly ParallelsBat _bat;
    private readonly long _offMultiplier;
    private readonly long _tracks;
    private readonly long _virtualSize;
    private readonly long _preallocSectors;
    private readonly long _batEnd;
    private readonly ImageContext _context;
    private bool _headerUnclean;
    private long _dataEnd;

    internal ParallelsDevice(OpenRequest request) : base(request.Filename, !request.Writable)
    {
        _file = request.File;
        _context = request.Context;
        var buffer = new byte[ParallelsHeader.Size];
        _file.Read(0, buffer); // a short file reads as zeros past its end, as through qemu's file protocol
        _header = ParallelsHeader.Parse(buffer);

        ulong totalSectors = _header.NbSectors;
        if (_header.Version != ParallelsHeader.Version2)
            throw new ImageException("Image not in Parallels format");
        if (_header.HasOldMagic)
        {
            _offMultiplier = 1;
            totalSectors &= 0xFFFFFFFF;
        }
        else if (_header.HasNewMagic)
        {
            _offMultiplier = _header.Tracks;
        }
        else
        {
            throw new ImageException("Image not in Parallels format");
        }

        _tracks = _header.Tracks;
        if (_tracks == 0)
            throw new ImageException("Invalid image: Zero sectors per track");
        if (_tracks > ParallelsLimits.MaxTracks)
            throw new ImageException("Invalid image: Too big cluster");
        uint batSize = _header.BatEntries;
        if (batSize > ParallelsLimits.MaxBatEntries)
            throw new ImageException("Catalog too large");

        _batEnd = ParallelsHeader.Size + 4L * batSize;
        long headerSize = (_batEnd + ParallelsLimits.MemAlign - 1) & ~(long)(ParallelsLimits.MemAlign - 1);
        // qemu keeps data_end in sectors but fills it with bytes when data_off is 0, and compares it with the
        // header size in bytes; both slips are kept, as they decide the file's length after a read-write open
        _dataEnd = _header.DataOff;
        if (_dataEnd == 0)
            _dataEnd = (_batEnd + 511) & ~511L;
        if (_dataEnd < headerSize)
            headerSize = _batEnd;
        if (headerSize > ParallelsLimits.MaxRequestBytes)
            throw new ImageException($"Could not open '{Filename}': Input/output error");

        _bat = new ParallelsBat(_file, batSize);
        _bat.ForEachAllocated((_, entry) =>
        {
            long sector = entry * _offMultiplier;
            if (sector >= _dataEnd)
                _dataEnd = sector + _tracks;
        });

        if (_header.InUse == ParallelsHeader.InUseMagic)
        {
            _headerUnclean = true;
            if (request.Writable && !request.ForCheck)
                throw new ImageException("parallels: Image was not closed correctly; cannot be opened read/write") { Errno = SnapshotException.EACCES };
        }

        if (_header.ExtOff != 0)
        {
            if (request.Writable)
                _context.Warn("warning: Format Extension ignored in RW mode");
            else
                Bitmaps = ParallelsFormatExtension.Read(_file, (long)(_header.ExtOff << 9), ClusterBytes, totalSectors);
        }

        _preallocSectors = Math.Max(_tracks, ParallelsLimits.DefaultPreallocBytes >> 9);

        // the block layer's size limit (bdrv_refresh_total_sectors), checked before the marker is written
        if (totalSectors > ParallelsLimits.MaxTotalSectors)
            throw new ImageException("Could not refresh total sector count: File too large");
        _virtualSize = (long)totalSectors * 512;

        if (request.Writable)
        {
            _header.InUse = ParallelsHeader.InUseMagic;
            _file.Write(0, _header.ToBytes());
            _file.Flush();
        }
    }

    public override string FormatName => "parallels";

    public override long VirtualSize => _virtualSize;

    public override HostFile File => _file;

    /// <summary>qemu's parallels driver has no get_info: info shows neither a cluster size nor a dirty flag.</summary>
    public override bool HasDriverInfo => false;

    /// <summary>The driver reads through to a backing file (supports_backing), although the header cannot name one.</summary>
    public override bool SupportsBacking => true;

    /// <summary>The names (UUIDs) of the dirty bitmaps in the format extension, loaded when opened read-only.</summary>
    internal IReadOnlyList<string> Bitmaps { get; } = [];

    /// <summary>The image was not closed cleanly (the in-use marker was set when it was opened).</summary>
    internal bool HeaderUnclean => _headerUnclean;

    /// <summary>qemu's legacy sector interface: requests come in whole sectors.</summary>
    protected override int RequestAlignment => 512;

    private long ClusterBytes => _tracks * 512;

    /// <summary>
    /// qemu's seek_to_sector: the host sector of guest sector <paramref name="sector"/>, or -1 when its cluster has
    /// no entry (a zero entry, or past the table).
    /// </summary>
    private long SeekToSector(long sector)
    {
        long index = sector / _tracks;
        uint entry = _bat[index];
        return entry == 0 ? -1 : entry * _offMultiplier + sector % _tracks;
    }

    /// <summary>
    /// qemu's block_status: where guest sector <paramref name="sector"/> lives (-1: nowhere) and how many of the next
    /// <paramref name="count"/> sectors follow it in the same state (contiguous in the file, or all unallocated).
    /// </summary>
    private long Status(long sector, long count, out long run)
    {
        long start = SeekToSector(sector);
        long expected = start;
        // only an unallocated run asks how far the table can hold entries (a look at the file's length)
        long zeroFrom = start < 0 ? _bat.PossiblyAllocated : long.MaxValue;
        run = 0;
        do
        {
            if (start < 0 && sector / _tracks >= zeroFrom)
            {
                // past the entries the file holds (or the table): all unallocated, the rest of the request at once
                run += count;
                break;
            }
            long position = SeekToSector(sector);
            if (run > 0 && position != expected) break;
            long toEnd = Math.Min(count, _tracks - sector % _tracks);
            count -= toEnd;
            sector += toEnd;
            run += toEnd;
            if (position > 0) expected += toEnd;
        } while (count > 0);
        return start;
    }

    protected override void ReadCore(long offset, Span<byte> dest)
    {
        long sector = offset >> 9;
        long sectors = (dest.Length + 511) >> 9;
        while (sectors > 0)
        {
            long position = Status(sector, sectors, out long run);
            int n = (int)Math.Min(run * 512, dest.Length);
            if (position < 0)
                ReadBacking(sector * 512, dest[..n]);
            else
                _file.Read(position * 512, dest[..n]); // past the end of the file: zeros, as qemu reads
            dest = dest[n..];
            sector += run;
            sectors -= run;
        }
    }

    /// <summary>qemu's parallels_co_block_status: an allocated run is data at its host offset; the rest falls through.</summary>
    public override DriverStatus GetDriverStatus(long offset, long length)
    {
        long sector = offset >> 9;
        long end = (offset + length + 511) >> 9;
        long position = Status(sector, end - sector, out long run);
        long bytes = Math.Min(run * 512 - (offset - sector * 512), length);
        if (position < 0)
            return DriverStatus.Unallocated(bytes);
        return new DriverStatus(bytes, BlockStatusFlags.Data | BlockStatusFlags.OffsetValid, position * 512 + (offset & 511), _file);
    }

    public override void Flush() => _file.Flush();

    /// <summary>
    /// parallels_close: a read-write image gets its in-use marker cleared and its file cut to the end of the data,
    /// dropping what the writes preallocated.
    /// </summary>
    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        try
        {
            if (!ReadOnly)
            {
                _header.InUse = 0;
                _file.Write(0, _header.ToBytes());
                _file.Flush();
                _file.SetLength(_dataEnd * 512);
            }
        }
        finally
        {
            _file.Dispose();
        }
    }
}
