using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Vpc;

/// <summary>
/// An opened VHD (qemu's block/vpc.c, VHD specification 1.0). Fixed disks hold guest data at the start of the file;
/// dynamic disks map guest blocks through the BAT to [sector bitmap][block data] areas, unallocated blocks reading as
/// zeros. As in qemu, a dynamic disk's bitmaps are not consulted when reading and new blocks get an all-ones bitmap.
/// Differencing disks (beyond qemu 7.2, which reads them as if their parent were empty) read the sectors whose bitmap
/// bit is set from this file and the others from the parent named by the parent locators; opened without their
/// parent (<see cref="OpenOptions.NoBacking"/>) they read exactly as qemu 7.2 reads them.
/// </summary>
public sealed partial class VpcDevice : BlockDevice
{
    private readonly HostFile _file;
    private readonly VpcFooter _footer;
    private readonly VpcDynamicHeader? _header;
    private readonly VpcBat _bat;
    private readonly long _virtualSize;
    private readonly uint _blockSize;
    private readonly int _bitmapSize;

    /// <summary>Where the next block goes (qemu's free_data_block_offset); the footer is kept there.</summary>
    private long _freeDataBlockOffset;

    /// <summary>Where a fixed disk's guest data may be written in the file: not over a footer.</summary>
    private readonly long _fixedDataStart, _fixedDataEnd;

    /// <summary>End of the footer copy, dynamic header, BAT and parent locator data: no block may start before it.</summary>
    private readonly long _metadataEnd;

    internal VpcDevice(OpenRequest request) : base(request.Filename, !request.Writable)
    {
        _file = request.File;
        // qemu's bdrv_getlength counts whole sectors: a file's length rounded up to 512
        long length = (_file.Length + 511) & ~511L;
        var buf = new byte[VpcDynamicHeader.Size];
        _file.Read(0, buf.AsSpan(0, VpcFooter.Size)); // a short file reads as zeros past its end
        var footer = VpcFooter.Parse(buf);
        bool dynamicLayout = true;
        if (!footer.HasCookie)
        {
            if (length < VpcFooter.Size)
                throw new ImageException("File too small for a VHD header");
            // a fixed disk has its footer only at the end of the file
            _file.Read(length - VpcFooter.Size, buf.AsSpan(0, VpcFooter.Size));
            footer = VpcFooter.Parse(buf);
            if (!footer.HasCookie)
                throw new ImageException("invalid VPC image");
            dynamicLayout = false;
        }
        if (!footer.ChecksumValid)
            throw new ImageException("Incorrect header checksum");
        _footer = footer;

        long sectors = VpcGeometry.OpenSectors(footer);
        if (sectors > VpcGeometry.MaxSectors)
            throw new ImageException($"Could not open '{Filename}': File too large") { Errno = SnapshotException.EFBIG };
        _virtualSize = sectors * 512;

        // a fixed disk's data ends where its footer starts; one whose footer copy is at 0 has no room for data there
        _fixedDataStart = dynamicLayout ? VpcFooter.Size : 0;
        _fixedDataEnd = dynamicLayout ? long.MaxValue : length - VpcFooter.Size;
        if (!dynamicLayout)
        {
            _bat = new VpcBat(_file, 0, 0);
            return;
        }

        ulong dataOffset = footer.DataOffset;
        if (dataOffset > MaxRequestEnd - VpcFooter.Size)
            throw new ImageException("Error reading dynamic VHD header"); // qemu's read fails, past what a request may address
        Array.Clear(buf);
        if (dataOffset < (ulong)length)
            _file.Read((long)dataOffset, buf); // past the end: zeros, as qemu reads them
        var header = VpcDynamicHeader.Parse(buf);
        if (!header.HasCookie)
            throw new ImageException("Invalid header magic");
        _header = header;

        uint blockSize = header.BlockSize;
        if (blockSize < 512 || (blockSize & (blockSize - 1)) != 0)
            throw new ImageException($"Invalid block size {blockSize}");
        _blockSize = blockSize;
        // qemu's formula, which gives no bitmap at all below 4 KiB blocks; a differencing disk needs one bit per
        // sector (spec: the bitmap is padded to a 512-byte boundary), the same size from 4 KiB up
        _bitmapSize = footer.DiskType == VpcDiskType.Differencing
            ? (int)(((blockSize / 512 + 7) / 8 + 511) & ~511u)
            : (int)(((blockSize / (8 * 512)) + 511) & ~511u);

        uint entries = header.MaxTableEntries;
        if ((ulong)_virtualSize / blockSize > 0xffff_ffffUL)
            throw new ImageException("Too many blocks");
        // qemu multiplies its int copy of max_table_entries, sign-extended, in 64 bits
        ulong computed = unchecked((ulong)(long)(int)entries * blockSize);
        if (computed < (ulong)_virtualSize)
            throw new ImageException("Page table too small");
        if ((int)entries < 0 || (int)entries > int.MaxValue / 4)
            throw new ImageException($"Max Table Entries too large ({(int)entries})");

        ulong tableOffset = header.TableOffset;
        long batBytes = (long)entries * 4;
        if (batBytes > MaxRequestBytes || tableOffset > MaxRequestEnd - (ulong)batBytes)
            throw new ImageException("Error reading pagetable");
        // qemu reads a table past the end of the file as zeros, but its free offset starts after the table: refused
        if (tableOffset > (ulong)length || (long)tableOffset + batBytes > length)
            throw new ImageException(TruncatedMessage);
        _bat = new VpcBat(_file, (long)tableOffset, entries);

        long free = _bat.MaxBlockEnd(((long)tableOffset + batBytes + 511) & ~511L, _bitmapSize + (long)blockSize);
        long metadataEnd = Math.Max(Math.Max(VpcFooter.Size, (long)dataOffset + VpcDynamicHeader.Size), ((long)tableOffset + batBytes + 511) & ~511L);
        if (IsDifferencing)
            metadataEnd = Math.Max(metadataEnd, OpenParentLocators(request, length, ref free));
        if (free > length)
            throw new ImageException(TruncatedMessage);
        _freeDataBlockOffset = free;
        _metadataEnd = metadataEnd;
    }

    /// <summary>qemu's BDRV_REQUEST_MAX_BYTES: the largest single read (INT_MAX aligned down to a sector).</summary>
    private const long MaxRequestBytes = int.MaxValue & ~511L;

    private const string TruncatedMessage = "block-vpc: free_data_block_offset points after the end of file. The image has been truncated.";

    /// <summary>qemu's BDRV_MAX_LENGTH: no request may reach past it (INT64_MAX aligned down to 1 GiB).</summary>
    private const ulong MaxRequestEnd = long.MaxValue & ~((1UL << 30) - 1);

    public override string FormatName => "vpc";

    public override long VirtualSize => _virtualSize;

    public override HostFile File => _file;

    /// <summary>qemu's vpc_get_info: the block size, except for a fixed disk.</summary>
    public override int ClusterSize => _footer.DiskType == VpcDiskType.Fixed ? 0 : (int)Math.Min(_blockSize, int.MaxValue);

    /// <summary>The footer's Unique Id, which a differencing child records as its parent's.</summary>
    public Guid UniqueId => _footer.UniqueId;

    /// <summary>The footer's time stamp (seconds since 2000-01-01 UTC).</summary>
    internal uint Timestamp => _footer.Timestamp;

    /// <summary>Reads and writes go straight to the file at the guest offset (qemu: footer type 2).</summary>
    private bool IsFixed => _footer.DiskType == VpcDiskType.Fixed;

    /// <summary>A differencing disk with its dynamic header (type 4).</summary>
    private bool IsDifferencing => _footer.DiskType == VpcDiskType.Differencing && _header is not null;

    /// <summary>Whether unwritten sectors come from the parent: a differencing disk opened with it.</summary>
    private bool ReadsParent => IsDifferencing && Backing is not null;

    public override bool SupportsBacking => IsDifferencing;

    /// <summary>A differencing disk keeps its own per-sector bitmap, so it is read and written by whole sectors.</summary>
    protected override int RequestAlignment => IsDifferencing ? 512 : 1;

    private long BlockOffset(uint entry) => 512L * entry;

    protected override void ReadCore(long offset, Span<byte> dest)
    {
        if (IsFixed || _header is null)
        {
            if (IsFixed)
                _file.Read(offset, dest);
            else
                dest.Clear(); // a footer at the end only, but not type fixed: no table, as in qemu every block is unallocated
            return;
        }
        while (!dest.IsEmpty)
        {
            long block = offset / _blockSize;
            int inBlock = (int)(offset % _blockSize);
            int n = (int)Math.Min(dest.Length, _blockSize - inBlock);
            uint entry = _bat[block];
            var part = dest[..n];
            if (entry == VpcBat.Unallocated)
            {
                if (ReadsParent)
                    ReadBacking(offset, part);
                else
                    part.Clear();
            }
            else if (ReadsParent)
            {
                ReadDifferencingBlock(entry, offset, inBlock, part);
            }
            else
            {
                _file.Read(BlockOffset(entry) + _bitmapSize + inBlock, part);
            }
            dest = dest[n..];
            offset += n;
        }
    }

    /// <summary>
    /// qemu's vpc_co_block_status: a fixed disk is data at the same offset in the file (the file answers for holes);
    /// an allocated block is data at its place (one block at most, a bitmap lies between blocks); runs of unallocated
    /// blocks read as zeros. A differencing disk read with its parent answers per sector from the bitmap instead, and
    /// leaves what it does not hold to the parent.
    /// </summary>
    public override DriverStatus GetDriverStatus(long offset, long length)
    {
        if (IsFixed)
            return new DriverStatus(length, BlockStatusFlags.Data | BlockStatusFlags.OffsetValid | BlockStatusFlags.Recurse, offset, _file);
        if (_header is null)
            return new DriverStatus(length, BlockStatusFlags.Zero);
        long block = offset / _blockSize;
        long inBlock = offset % _blockSize;
        uint entry = _bat[block];
        if (entry != VpcBat.Unallocated)
        {
            long n = Math.Min(length, _blockSize - inBlock);
            long host = BlockOffset(entry) + _bitmapSize + inBlock;
            if (ReadsParent)
            {
                var (set, run) = BitmapRun(entry, (int)(inBlock / 512), (int)((inBlock + n + 511) / 512));
                n = Math.Min(n, run * 512L - inBlock % 512);
                return set
                    ? new DriverStatus(n, BlockStatusFlags.Data | BlockStatusFlags.OffsetValid, host, _file)
                    : DriverStatus.Unallocated(n);
            }
            return new DriverStatus(n, BlockStatusFlags.Data | BlockStatusFlags.OffsetValid, host, _file);
        }
        long total = Math.Min(length, _blockSize - inBlock);
        for (long next = block + 1; total < length && _bat[next] == VpcBat.Unallocated; next++)
            total += Math.Min(length - total, _blockSize);
        return ReadsParent ? DriverStatus.Unallocated(total) : new DriverStatus(total, BlockStatusFlags.Zero);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _file.Dispose();
    }
}
