using System.Buffers;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Bochs;

/// <summary>
/// An opened Bochs growing redolog (qemu's block/bochs.c). Guest extent i lives in data slot catalog[i]; a slot is
/// the extent's allocation bitmap (bitmap size rounded up to sectors) followed by its data. A sector reads as zeros
/// when its extent has no slot or its bit (LSB first) in the slot's bitmap is 0. The data area starts right after
/// the catalog (header size + 4 * entries, in qemu's 32-bit arithmetic). Read-only, like qemu's driver.
/// </summary>
public sealed class BochsDevice : ReadOnlyImageDevice
{
    private readonly BochsCatalog _catalog;
    private readonly long _virtualSize;
    private readonly uint _extentSize;
    private readonly uint _dataOffset;
    private readonly uint _bitmapBlocks;
    private readonly uint _slotBlocks;

    internal BochsDevice(OpenRequest request) : base(request)
    {
        var buffer = new byte[BochsHeader.Size];
        File.Read(0, buffer);
        if (!BochsHeader.IsBochs(buffer))
            throw new ImageException("Image not in Bochs format");
        var header = BochsHeader.Parse(buffer);
        long totalSectors = (long)(header.DiskSize / Sectors.Size);
        BochsLimits.CheckCatalogSize(header);
        _catalog = BochsCatalog.Read(File, Filename, header);
        _dataOffset = unchecked(header.HeaderSize + header.CatalogEntries * 4);
        _bitmapBlocks = BochsLimits.Blocks(header.BitmapSize);
        _slotBlocks = BochsLimits.Blocks(header.ExtentSize) + _bitmapBlocks;
        BochsLimits.CheckExtents(header, totalSectors);
        _extentSize = header.ExtentSize;
        _virtualSize = totalSectors * Sectors.Size;
    }

    public override string FormatName => "bochs";

    public override long VirtualSize => _virtualSize;

    protected override void ReadCore(long offset, Span<byte> dest)
    {
        while (!dest.IsEmpty)
        {
            long extent = offset / _extentSize;
            int inExtent = (int)(offset % _extentSize);
            int n = (int)Math.Min(dest.Length, _extentSize - inExtent);
            uint slot = _catalog[extent];
            if (slot == BochsCatalog.Unallocated)
                dest[..n].Clear();
            else
                ReadFromSlot(offset, slot, inExtent / Sectors.Size, dest[..n]);
            dest = dest[n..];
            offset += n;
        }
    }

    /// <summary>Reads whole sectors of one extent: its bitmap bits once, then each run of present sectors in one read.</summary>
    private void ReadFromSlot(long guestOffset, uint slot, int firstSector, Span<byte> dest)
    {
        int count = dest.Length / Sectors.Size;
        UInt128 bitmapOffset = _dataOffset + (UInt128)Sectors.Size * slot * _slotBlocks;
        UInt128 dataOffset = bitmapOffset + (UInt128)Sectors.Size * (_bitmapBlocks + (uint)firstSector);
        if (dataOffset + (uint)dest.Length > (UInt128)BlockLimits.MaxLength)
            throw new ImageException($"'{Filename}': extent {guestOffset / _extentSize} is stored at slot {slot}, past the largest file offset: Input/output error") { Errno = 5 };
        int firstByte = firstSector / 8;
        int bitmapBytes = (firstSector + count - 1) / 8 - firstByte + 1; // at most 2 KiB: an extent is at most 8 MiB
        byte[] bitmap = ArrayPool<byte>.Shared.Rent(bitmapBytes);
        try
        {
            File.Read((long)bitmapOffset + firstByte, bitmap.AsSpan(0, bitmapBytes));
            int i = 0;
            while (i < count)
            {
                bool present = IsPresent(bitmap, firstSector + i, firstByte);
                int run = 1;
                while (i + run < count && IsPresent(bitmap, firstSector + i + run, firstByte) == present)
                    run++;
                var part = dest.Slice(i * Sectors.Size, run * Sectors.Size);
                if (present)
                    File.Read((long)dataOffset + (long)i * Sectors.Size, part);
                else
                    part.Clear();
                i += run;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bitmap);
        }
    }

    private static bool IsPresent(byte[] bitmap, int sector, int firstByte) =>
        ((bitmap[sector / 8 - firstByte] >> (sector % 8)) & 1) != 0;
}
