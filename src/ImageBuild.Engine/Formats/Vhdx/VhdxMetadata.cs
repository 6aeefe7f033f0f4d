using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Vhdx;

/// <summary>One metadata table entry (VHDX 1.0 §2.6.1.2): ItemId, Offset (from the region start), Length, flags IsUser, IsVirtualDisk, IsRequired.</summary>
internal readonly record struct VhdxMetadataEntry(Guid ItemId, uint Offset, uint Length, uint Flags)
{
    public const int Size = 32;
    public const uint IsUser = 1;
    public const uint IsVirtualDisk = 2;
    public const uint IsRequired = 4;
}

/// <summary>
/// The metadata region (VHDX 1.0 §2.6): a table (Signature "metadata", EntryCount, 32-byte entries, at most 64 KiB)
/// and the items it names. The five items every image has, with the rules the spec gives them: File Parameters
/// (§2.6.2.1: BlockSize a power of two from 1 to 256 MiB; LeaveBlocksAllocated; HasParent), Virtual Disk Size
/// (§2.6.2.2), Page 83 Data (§2.6.2.3), Logical Sector Size (§2.6.2.4: 512 or 4096), Physical Sector Size
/// (§2.6.2.5: 512 or 4096); and the Parent Locator (§2.6.2.6), present exactly when HasParent is set.
/// </summary>
internal sealed class VhdxMetadata
{
    public const int TableSize = 64 << 10;
    public const uint MinBlockSize = 1 << 20;
    public const uint MaxBlockSize = 256 << 20;
    public const uint LeaveBlocksAllocatedFlag = 1;
    public const uint HasParentFlag = 2;
    private const ulong SignatureValue = 0x617461646174656D; // "metadata"
    private const int MaxParentLocatorBytes = 1 << 20;

    public static readonly Guid FileParametersGuid = new("CAA16737-FA36-4D43-B3B6-33F0AA44E76B");
    public static readonly Guid VirtualDiskSizeGuid = new("2FA54224-CD1B-4876-B211-5DBED83BF4B8");
    public static readonly Guid Page83DataGuid = new("BECA12AB-B2E6-4523-93EF-C309E000C746");
    public static readonly Guid LogicalSectorSizeGuid = new("8141BF1D-A96F-4709-BA47-F233A8FAAB5F");
    public static readonly Guid PhysicalSectorSizeGuid = new("CDA348C7-445D-4471-9CC9-E9885251C556");
    public static readonly Guid ParentLocatorGuid = new("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C");

    public uint BlockSize { get; init; }
    public uint FileParameterFlags { get; init; }
    public ulong VirtualDiskSize { get; init; }
    public Guid Page83Data { get; init; }
    public uint LogicalSectorSize { get; init; }
    public uint PhysicalSectorSize { get; init; }

    /// <summary>The parent locator item's bytes (differencing images only).</summary>
    public byte[]? ParentLocator { get; init; }

    public bool LeaveBlocksAllocated => (FileParameterFlags & LeaveBlocksAllocatedFlag) != 0;
    public bool HasParent => (FileParameterFlags & HasParentFlag) != 0;

    /// <summary>
    /// Reads the table and items as qemu's vhdx_parse_metadata does (its errors: "Invalid argument" for a bad
    /// signature, count, duplicate item, block size or sector size; "Operation not supported" for an unknown
    /// required item or a missing one). Beyond qemu, every item must lie inside the region.
    /// </summary>
    public static VhdxMetadata Read(VhdxFileView file, string filename, ulong regionOffset, uint regionLength)
    {
        var table = new byte[TableSize];
        file.Read((long)regionOffset, table);
        if (BinaryPrimitives.ReadUInt64LittleEndian(table) != SignatureValue)
            throw VhdxErrors.Invalid(filename);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(table.AsSpan(10));
        if (count * VhdxMetadataEntry.Size > TableSize - 32)
            throw VhdxErrors.Invalid(filename);
        VhdxMetadataEntry? fileParams = null, size = null, page83 = null, logical = null, physical = null, parent = null;
        for (int i = 0; i < count; i++)
        {
            var e = table.AsSpan(32 + i * VhdxMetadataEntry.Size, VhdxMetadataEntry.Size);
            var entry = new VhdxMetadataEntry(new Guid(e[..16]), BinaryPrimitives.ReadUInt32LittleEndian(e[16..]),
                BinaryPrimitives.ReadUInt32LittleEndian(e[20..]), BinaryPrimitives.ReadUInt32LittleEndian(e[24..]));
            if (entry.ItemId == FileParametersGuid) Set(ref fileParams, entry, filename);
            else if (entry.ItemId == VirtualDiskSizeGuid) Set(ref size, entry, filename);
            else if (entry.ItemId == Page83DataGuid) Set(ref page83, entry, filename);
            else if (entry.ItemId == LogicalSectorSizeGuid) Set(ref logical, entry, filename);
            else if (entry.ItemId == PhysicalSectorSizeGuid) Set(ref physical, entry, filename);
            else if (entry.ItemId == ParentLocatorGuid) Set(ref parent, entry, filename);
            else if ((entry.Flags & VhdxMetadataEntry.IsRequired) != 0)
                throw VhdxErrors.NotSupported(filename);
        }
        if (fileParams is null || size is null || page83 is null || logical is null || physical is null)
            throw VhdxErrors.NotSupported(filename);

        Span<byte> fp = stackalloc byte[8];
        ReadItem(file, filename, regionOffset, regionLength, fileParams.Value, fp);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(fp[4..]);
        byte[]? locator = null;
        if ((flags & HasParentFlag) != 0)
        {
            if (parent is not { } p)
                throw VhdxErrors.Invalid(filename);
            if (p.Length > MaxParentLocatorBytes)
                throw new ImageCorruptException($"'{filename}': parent locator of {p.Length} bytes is larger than {MaxParentLocatorBytes}");
            locator = new byte[p.Length];
            ReadItem(file, filename, regionOffset, regionLength, p, locator);
        }
        Span<byte> v = stackalloc byte[16];
        ReadItem(file, filename, regionOffset, regionLength, size.Value, v[..8]);
        ulong diskSize = BinaryPrimitives.ReadUInt64LittleEndian(v);
        ReadItem(file, filename, regionOffset, regionLength, logical.Value, v[..4]);
        uint logicalSize = BinaryPrimitives.ReadUInt32LittleEndian(v);
        ReadItem(file, filename, regionOffset, regionLength, physical.Value, v[..4]);
        uint physicalSize = BinaryPrimitives.ReadUInt32LittleEndian(v);
        ReadItem(file, filename, regionOffset, regionLength, page83.Value, v);
        var page83Guid = new Guid(v);

        uint blockSize = BinaryPrimitives.ReadUInt32LittleEndian(fp);
        if (blockSize < MinBlockSize || blockSize > MaxBlockSize)
            throw VhdxErrors.Invalid(filename);
        // qemu 7.2 reads only 512-byte logical sectors and answers "Operation not supported" for any other; 4096
        // (§2.6.2.4's other value, Hyper-V's 4Kn disks) is read here beyond qemu
        if (logicalSize != 512 && logicalSize != 4096)
            throw VhdxErrors.NotSupported(filename);
        if ((blockSize & (blockSize - 1)) != 0)
            throw VhdxErrors.Invalid(filename);
        return new VhdxMetadata
        {
            BlockSize = blockSize, FileParameterFlags = flags, VirtualDiskSize = diskSize, Page83Data = page83Guid,
            LogicalSectorSize = logicalSize, PhysicalSectorSize = physicalSize, ParentLocator = locator,
        };
    }

    private static void Set(ref VhdxMetadataEntry? slot, VhdxMetadataEntry entry, string filename)
    {
        if (slot is not null)
            throw VhdxErrors.Invalid(filename);
        slot = entry;
    }

    private static void ReadItem(VhdxFileView file, string filename, ulong regionOffset, uint regionLength, VhdxMetadataEntry entry, Span<byte> dest)
    {
        if ((ulong)entry.Offset + (ulong)dest.Length > regionLength)
            throw new ImageCorruptException(
                $"'{filename}': metadata item {entry.ItemId} at region offset {entry.Offset} lies outside the metadata region ({regionLength} bytes)");
        file.Read((long)(regionOffset + entry.Offset), dest);
    }

    /// <summary>
    /// The region as qemu's vhdx_create_new_metadata writes it: the table (five required entries, items from 64 KiB
    /// on, in table order) at the region start, the items at 64 KiB. Returns (table, items).
    /// </summary>
    public (byte[] Table, byte[] Items) Serialize()
    {
        var table = new byte[TableSize];
        Span<byte> t = table;
        BinaryPrimitives.WriteUInt64LittleEndian(t, SignatureValue);
        BinaryPrimitives.WriteUInt16LittleEndian(t[10..], 5);
        var items = new byte[8 + 8 + 16 + 4 + 4];
        Span<byte> it = items;
        BinaryPrimitives.WriteUInt32LittleEndian(it, BlockSize);
        BinaryPrimitives.WriteUInt32LittleEndian(it[4..], FileParameterFlags);
        BinaryPrimitives.WriteUInt64LittleEndian(it[8..], VirtualDiskSize);
        Page83Data.TryWriteBytes(it.Slice(16, 16));
        BinaryPrimitives.WriteUInt32LittleEndian(it[32..], LogicalSectorSize);
        BinaryPrimitives.WriteUInt32LittleEndian(it[36..], PhysicalSectorSize);
        (Guid Id, uint Length, uint Flags)[] rows =
        [
            (FileParametersGuid, 8, VhdxMetadataEntry.IsRequired),
            (VirtualDiskSizeGuid, 8, VhdxMetadataEntry.IsRequired | VhdxMetadataEntry.IsVirtualDisk),
            (Page83DataGuid, 16, VhdxMetadataEntry.IsRequired | VhdxMetadataEntry.IsVirtualDisk),
            (LogicalSectorSizeGuid, 4, VhdxMetadataEntry.IsRequired | VhdxMetadataEntry.IsVirtualDisk),
            (PhysicalSectorSizeGuid, 4, VhdxMetadataEntry.IsRequired | VhdxMetadataEntry.IsVirtualDisk),
        ];
        uint offset = 64 << 10;
        for (int i = 0; i < rows.Length; i++)
        {
            var e = t.Slice(32 + i * VhdxMetadataEntry.Size, VhdxMetadataEntry.Size);
            rows[i].Id.TryWriteBytes(e[..16]);
            BinaryPrimitives.WriteUInt32LittleEndian(e[16..], offset);
            BinaryPrimitives.WriteUInt32LittleEndian(e[20..], rows[i].Length);
            BinaryPrimitives.WriteUInt32LittleEndian(e[24..], rows[i].Flags);
            offset += rows[i].Length;
        }
        return (table, items);
    }
}
