using System.Buffers.Binary;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Formats.File;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Vdi;

/// <summary>
/// Creates a VDI image as qemu's vdi_co_create_opts and vdi_co_do_create do, byte for byte: the header (QEMU's text,
/// the map at 0x200, the data after the map rounded up to a sector, two UUIDs from the context), the block map
/// (all unallocated, or 0, 1, 2... for a static image) and, for a static image, the file extended (sparse) over every
/// block.
/// </summary>
internal static class VdiCreator
{
    private const uint MapOffset = 0x200;

    public static void Create(CreateRequest request)
    {
        bool isStatic = request.Options.GetBool("static") ?? false;
        ulong size = (ulong)Sectors.RoundUp(request.Size); // silently rounded up, as qemu does
        // The file protocol creates the file, empty (the size option is the format's), with its own preallocation.
        using var file = FileProtocol.CreateFile(request, out _);
        if (size > VdiLimits.MaxDiskSize)
            throw new ImageException(VdiLimits.SizeTooLarge(size));

        uint blocks = (uint)((size + VdiHeader.DefaultBlockSize - 1) / VdiHeader.DefaultBlockSize);
        long mapBytes = ((long)blocks * 4 + 511) & ~511L;
        var identity = request.Context.Identity.ForImage(request.Filename);
        var header = VdiHeader.CreateNew();
        header.ImageType = isStatic ? VdiHeader.TypeStatic : VdiHeader.TypeDynamic;
        header.OffsetBmap = MapOffset;
        header.OffsetData = (uint)(MapOffset + mapBytes);
        header.DiskSize = size;
        header.BlocksInImage = blocks;
        header.BlocksAllocated = isStatic ? blocks : 0;
        header.UuidImage = identity.NewUuid("image");
        header.UuidLastSnap = identity.NewUuid("last_snap");
        file.Write(0, header.ToBytes());
        WriteMap(file, VdiHeader.Size, blocks, mapBytes, isStatic);

        if (isStatic)
        {
            long end = VdiHeader.Size + mapBytes + (long)blocks * VdiHeader.DefaultBlockSize;
            try
            {
                file.SetLength(end);
            }
            catch (ImageException e) when (e.Errno != SnapshotException.EFBIG)
            {
                throw new ImageException("Failed to statically allocate file" + e.Message, e);
            }
        }
    }

    /// <summary>The map in pieces of at most 1 MiB (it can reach 2 GiB), its sector padding zero.</summary>
    private static void WriteMap(HostFile file, long offset, uint blocks, long mapBytes, bool isStatic)
    {
        var chunk = new byte[(int)Math.Min(mapBytes, 1 << 20)];
        for (long done = 0; done < mapBytes; done += chunk.Length)
        {
            int n = (int)Math.Min(chunk.Length, mapBytes - done);
            long first = done / 4;
            for (int i = 0; i < n / 4; i++)
            {
                long index = first + i;
                uint entry = index >= blocks ? 0 : isStatic ? (uint)index : VdiBlockEntry.Unallocated;
                BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(i * 4), entry);
            }
            file.Write(offset + done, chunk.AsSpan(0, n));
        }
    }
}
