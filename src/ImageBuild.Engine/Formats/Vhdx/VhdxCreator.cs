using System.Buffers.Binary;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Formats.File;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vhdx;

/// <summary>
/// Creates a VHDX image as qemu's vhdx_co_create does, byte for byte once the random fields (GUIDs, the initial
/// sequence number and the checksums over them) are masked: the file identifier with qemu's creator string; two
/// headers (sequence n and n+1, the same GUIDs, log at 1 MiB of log_size bytes); the two region tables (BAT right
/// after the log, metadata after the BAT, 1 MiB each at least, required bit clear as qemu writes it); the BAT (written
/// only for a fixed image or with block_state_zero: ZERO entries with offset 0, or FULLY_PRESENT entries naming the
/// blocks laid out from the data start); the metadata (table at the region start, five items at 64 KiB). The file
/// ends 5 MiB after the BAT (qemu's room for metadata growth), plus the whole virtual size for a fixed image (sparse).
/// </summary>
internal static class VhdxCreator
{
    public static void Create(CreateRequest request)
    {
        // qemu creates the (empty) file first, then vhdx_co_create_opts parses and checks the options
        using var file = FileProtocol.CreateFile(request, out _);
        var o = VhdxCreateOptions.Parse(request);
        var identity = request.Context.Identity.ForImage(request.Filename);

        // the file type identifier (§2.2.1)
        file.Write(0, VhdxFileIdentifier.Serialize(VhdxFileIdentifier.Creator));

        // the headers (§2.2.2)
        var header = VhdxHeader.New();
        header.SequenceNumber = identity.NewUInt32("sequence_number");
        header.LogVersion = 0;
        header.LogLength = o.LogSize;
        header.LogOffset = (ulong)VhdxLayout.HeaderSectionEnd;
        header.FileWriteGuid = identity.NewUuid("file_write_guid");
        header.DataWriteGuid = identity.NewUuid("data_write_guid");
        VhdxHeaders.ForNewImage(header).WriteNew(file);

        // the region table (§2.2.3) and the BAT (§2.5)
        long chunkRatio = VhdxLayout.ChunkRatio(o.LogicalSectorSize, o.BlockSize);
        long batEntries = VhdxLayout.BatEntries(o.Size, o.BlockSize, chunkRatio, differencing: false);
        long batOffset = RoundUpMiB(VhdxLayout.HeaderSectionEnd + o.LogSize);
        long batLength = RoundUpMiB(batEntries * 8);
        long metadataOffset = RoundUpMiB(batOffset + batLength);
        if (batLength > uint.MaxValue)
            throw new ImageException("Failed to allocate memory for the BAT");
        var table = new VhdxRegionTable
        {
            Entries =
            [
                new VhdxRegionTableEntry(VhdxRegionTable.BatGuid, (ulong)batOffset, (uint)batLength, false),
                new VhdxRegionTableEntry(VhdxRegionTable.MetadataGuid, (ulong)metadataOffset, (uint)VhdxLayout.MiB, false),
            ],
        };
        long dataStart = batOffset + batLength + 5 * VhdxLayout.MiB;
        file.SetLength(o.Fixed ? dataStart + o.Size : dataStart);
        if (o.Fixed || o.BlockStateZero)
            WriteBat(file, o, batOffset, batLength, dataStart, chunkRatio);
        byte[] tableBytes = table.ToBytes();
        file.Write(VhdxRegionTable.Table1Offset, tableBytes);
        file.Write(VhdxRegionTable.Table2Offset, tableBytes);

        // the metadata (§2.6)
        var metadata = new VhdxMetadata
        {
            BlockSize = o.BlockSize,
            FileParameterFlags = o.Fixed ? VhdxMetadata.LeaveBlocksAllocatedFlag : 0,
            VirtualDiskSize = (ulong)o.Size,
            Page83Data = identity.NewUuid("page83_data"),
            LogicalSectorSize = o.LogicalSectorSize,
            PhysicalSectorSize = o.PhysicalSectorSize,
        };
        var (mdTable, mdItems) = metadata.Serialize();
        file.Write(metadataOffset, mdTable);
        file.Write(metadataOffset + (64 << 10), mdItems);
    }

    private static long RoundUpMiB(long n) => (n + VhdxLayout.MiB - 1) / VhdxLayout.MiB * VhdxLayout.MiB;

    /// <summary>
    /// qemu's vhdx_create_bat: one entry per block (sector bitmap entries left zero), in pieces of 1 MiB since the
    /// table can reach hundreds of MiB. A fixed image's block i lies at the data start + i · block size.
    /// </summary>
    private static void WriteBat(HostFile file, VhdxCreateOptions o, long batOffset, long batLength, long dataStart, long chunkRatio)
    {
        int state = o.BlockStateZero ? VhdxBatEntry.Zero : o.Fixed ? VhdxBatEntry.FullyPresent : VhdxBatEntry.NotPresent;
        long sectors = o.Size / o.LogicalSectorSize;
        long sectorsPerBlock = o.BlockSize / o.LogicalSectorSize;
        long blocks = (sectors + sectorsPerBlock - 1) / sectorsPerBlock;
        var chunk = new byte[(int)Math.Min(batLength, VhdxLayout.MiB)];
        long block = 0;
        for (long done = 0; done < batLength; done += chunk.Length)
        {
            Array.Clear(chunk);
            long firstIndex = done / 8, endIndex = firstIndex + chunk.Length / 8;
            for (; block < blocks; block++)
            {
                long index = block + block / chunkRatio;
                if (index >= endIndex) break;
                long offset = RoundUpMiB(dataStart + block * o.BlockSize);
                BinaryPrimitives.WriteUInt64LittleEndian(chunk.AsSpan((int)(index - firstIndex) * 8), VhdxBatEntry.Make(state, offset));
            }
            file.Write(batOffset + done, chunk);
        }
    }
}
