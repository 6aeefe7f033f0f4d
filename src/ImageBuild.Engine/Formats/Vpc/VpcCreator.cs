using ImageBuild.Engine.Block;
using ImageBuild.Engine.Formats.File;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Vpc;

/// <summary>
/// Creates a VHD as qemu's vpc_co_create_opts and vpc_co_create do, byte for byte: the size rounded up to a sector
/// and (without force_size) up to a whole CHS geometry; a dynamic disk is footer copy, dynamic header, BAT of
/// unallocated entries and footer; a fixed disk is the data area (sparse) and the footer. With a backing file (beyond
/// qemu, which refuses -b for vpc) a differencing disk: its parent's size and geometry, the parent's Unique Id and
/// time stamp, its unicode name and W2ru/W2ku parent locators (placed between the header and the BAT).
/// </summary>
internal static class VpcCreator
{
    private const long HeaderOffset = VpcFooter.Size;
    private const long AfterHeader = HeaderOffset + VpcDynamicHeader.Size;

    public static void Create(CreateRequest request)
    {
        string subformat = request.Options.GetString("subformat") ?? "dynamic";
        bool forceSize = request.Options.GetBool("force_size") ?? false;
        string? backingFile = request.Options.GetString("backing_file");
        string? backingFormat = request.Options.GetString("backing_fmt");

        using var file = FileProtocol.CreateFile(request, out _);
        if (subformat is not ("dynamic" or "fixed"))
            throw new ImageException($"Parameter 'subformat' does not accept value '{subformat}'");

        var identity = request.Context.Identity.ForImage(request.Filename);
        var footer = VpcFooter.CreateNew();
        footer.Features = VpcFooter.FeaturesReserved;
        footer.Version = VpcFooter.FormatVersion;
        footer.Timestamp = VpcFooter.ToTimestamp(identity.Timestamp);
        footer.CreatorVersion = 0x0005_0003; // Virtual PC 2007, as qemu writes
        footer.SetCreatorOs("Wi2k"u8);

        if (backingFile is not null)
        {
            if (subformat != "dynamic" || forceSize)
                throw new ImageException("a differencing VHD (backing file) takes neither subformat=fixed nor force_size");
            CreateDifferencing(request, file, footer, identity.NewUuid("uuid"), backingFile, backingFormat);
            return;
        }

        // vpc_co_create_opts: silently round up to a sector, then (without force_size) to a whole geometry
        long size = Sectors.RoundUp(request.Size);
        if (!forceSize)
            size = (VpcGeometry.RoundedSize(size, false) ?? throw TooLarge()).Sectors * 512;
        var (geometry, sectors) = VpcGeometry.RoundedSize(size, forceSize) ?? throw TooLarge();

        footer.SetCreatorApp(forceSize ? "qem2"u8 : "qemu"u8);
        bool dynamic = subformat == "dynamic";
        footer.DataOffset = dynamic ? (ulong)HeaderOffset : VpcFooter.NoDataOffset;
        footer.OriginalSize = (ulong)size;
        footer.CurrentSize = (ulong)size;
        footer.Cylinders = geometry.Cylinders;
        footer.Heads = geometry.Heads;
        footer.SectorsPerTrack = geometry.SectorsPerTrack;
        footer.DiskType = dynamic ? VpcDiskType.Dynamic : VpcDiskType.Fixed;
        footer.UniqueId = identity.NewUuid("uuid");
        footer.UpdateChecksum();

        if (dynamic)
        {
            WriteDynamic(file, footer, VpcDynamicHeader.CreateNew(), sectors, []);
        }
        else
        {
            // create_fixed_disk: the file grows (sparse) over the data, the footer follows it; qemu's file protocol
            // writes the first block of a file it grows from empty (O_DIRECT alignment probing)
            file.SetLength(size + VpcFooter.Size);
            file.Write(0, ZeroBuffer.Span((int)Math.Min(size + VpcFooter.Size, 4096)));
            file.Write(size, footer.Bytes);
        }
    }

    private static ImageException TooLarge() =>
        new("Disk size is too large, max size is 2040 GiB") { Errno = SnapshotException.EFBIG };

    private static void CreateDifferencing(CreateRequest request, HostFile file, VpcFooter footer, Guid uuid, string backingFile, string? backingFormat)
    {
        var link = VpcParentLink.Read(request.Filename, backingFile, backingFormat);
        var parent = link.ParentFooter;
        long size = link.ParentSize;
        if (request.Size != size)
            throw new ImageException($"a differencing VHD has the size of its parent '{backingFile}' ({size} bytes), not {request.Size}");

        // the parent's geometry; sized by CHS as qemu opens "qemu" disks when that gives the parent's size, else by current_size ("qem2")
        bool chs = parent.GeometrySectors * 512 == size && parent.GeometrySectors != VpcGeometry.MaxGeometrySectors;
        footer.SetCreatorApp(chs ? "qemu"u8 : "qem2"u8);
        footer.DataOffset = (ulong)HeaderOffset;
        footer.OriginalSize = (ulong)size;
        footer.CurrentSize = (ulong)size;
        footer.Cylinders = parent.Cylinders;
        footer.Heads = parent.Heads;
        footer.SectorsPerTrack = parent.SectorsPerTrack;
        footer.DiskType = VpcDiskType.Differencing;
        footer.UniqueId = uuid;
        footer.UpdateChecksum();

        var header = VpcDynamicHeader.CreateNew();
        link.ApplyTo(header);
        byte[] w2ru = link.W2ruData, w2ku = link.W2kuData;
        long ruAt = AfterHeader, kuAt = ruAt + VpcParentLink.Space(w2ru.Length);
        header.SetLocator(0, new VpcParentLocator(VpcParentLocator.W2ru, (uint)VpcParentLink.Space(w2ru.Length), (uint)w2ru.Length, (ulong)ruAt));
        header.SetLocator(1, new VpcParentLocator(VpcParentLocator.W2ku, (uint)VpcParentLink.Space(w2ku.Length), (uint)w2ku.Length, (ulong)kuAt));
        WriteDynamic(file, footer, header, size / 512, [(ruAt, w2ru), (kuAt, w2ku)]);
    }

    /// <summary>
    /// qemu's create_dynamic_disk: footer copy at 0, the BAT (all unallocated, padded to a sector) at its offset, the
    /// footer after it, the header (2 MiB blocks) at 512. Locator data, when given, lies between the header and the BAT.
    /// </summary>
    private static void WriteDynamic(HostFile file, VpcFooter footer, VpcDynamicHeader header, long sectors, IReadOnlyList<(long Offset, byte[] Data)> locators)
    {
        uint blockSize = VpcDynamicHeader.DefaultBlockSize;
        long entries = (sectors + blockSize / 512 - 1) / (blockSize / 512);
        long batBytes = (entries * 4 + 511) & ~511L;
        long tableOffset = AfterHeader;
        foreach (var (offset, data) in locators)
            tableOffset = Math.Max(tableOffset, offset + VpcParentLink.Space(data.Length));

        file.Write(0, footer.Bytes);
        file.Write(tableOffset + batBytes, footer.Bytes);
        foreach (var (offset, data) in locators)
            file.Write(offset, data);

        var chunk = new byte[(int)Math.Min(batBytes, 1 << 20)];
        chunk.AsSpan().Fill(0xFF);
        for (long done = 0; done < batBytes; done += chunk.Length)
            file.Write(tableOffset + done, chunk.AsSpan(0, (int)Math.Min(chunk.Length, batBytes - done)));

        header.TableOffset = (ulong)tableOffset;
        header.BlockSize = blockSize;
        header.MaxTableEntries = (uint)entries;
        header.UpdateChecksum();
        file.Write(HeaderOffset, header.Bytes);
    }
}
