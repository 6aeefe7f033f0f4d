using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Formats.File;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>
/// Creates a VMDK image as qemu's vmdk_co_create_opts / vmdk_co_do_create / vmdk_init_extent do, byte for byte:
/// the descriptor file (or the monolithic file) first, then the backing file's CID, then each extent file
/// (NAME-flat.EXT, NAME-s001.EXT, NAME-f001.EXT ... as qemu names them beside the descriptor), then the descriptor
/// text (at sector 1 of a monolithic sparse file; alone in its own file otherwise). The CID comes from the context's
/// identity, never a random source.
/// </summary>
internal static class VmdkCreator
{
    /// <summary>qemu: "VMDK has constant split size" (spec: twoGbMaxExtent* extents hold at most 2 GB).</summary>
    private const long SplitSize = 0x80000000;

    /// <summary>qemu's DESC_SIZE: the CID is looked for in the first 20 sectors of the descriptor.</summary>
    private const int DescSize = 20 * 512;

    public static void Create(CreateRequest request)
    {
        var o = VmdkCreateOptions.Parse(request.Size, request.Options);
        string hw = o.Validate();
        var (dir, prefix, postfix) = Decompose(request.Filename);
        long size = o.Size;
        bool monolithicSparse = !o.IsSplit && !o.IsFlat;
        long extentSize = o.IsSplit ? SplitSize : size;
        var extentLines = new StringBuilder();

        // the descriptor file, which is the whole image for monolithicSparse and streamOptimized
        using var descFile = FileProtocol.CreateFile(request, out _);
        long created = 0;
        if (monolithicSparse)
        {
            if (o.IsVmwareStream) VmwareStreamLayout.InitExtent(descFile, size);
            else InitSparseExtent(descFile, size, o.IsCompressed, o.ZeroedGrain);
            created = size;
            extentLines.Append(VmdkDescriptorWriter.ExtentLine(false, size, Path.GetFileName(request.Filename)));
        }
        else if (!o.IsFlat)
        {
            // qemu makes the descriptor file a sparse extent of size 0 first (left so when a later step fails)
            InitSparseExtent(descFile, 0, o.IsCompressed, o.ZeroedGrain);
        }

        uint parentCid = 0xffffffff; // spec: parentCID ffffffff, "no parent"
        if (o.BackingFile is not null)
            parentCid = ReadParentCid(request, o.BackingFile);

        for (int index = 1; created < size; index++)
        {
            long current = Math.Min(size - created, extentSize);
            string rel = o.IsSplit
                ? $"{prefix}-{(o.IsFlat ? 'f' : 's')}{index.ToString("000", CultureInfo.InvariantCulture)}{postfix}"
                : $"{prefix}-flat{postfix}";
            using (var extent = FileProtocol.CreateFile(request with { Filename = dir + rel }, out _))
            {
                if (o.IsFlat)
                {
                    extent.SetLength(current);
                    // qemu's file protocol writes the first block of a file it grows from empty (O_DIRECT alignment
                    // probing), so a new flat extent starts with 4 KiB of data, as a new raw image does
                    if (current > 0) extent.Write(0, ZeroBuffer.Span((int)Math.Min(current, 4096)));
                }
                else InitSparseExtent(extent, current, o.IsCompressed, o.ZeroedGrain);
            }
            extentLines.Append(VmdkDescriptorWriter.ExtentLine(o.IsFlat, current, rel));
            created += current;
        }

        uint cid = request.Context.Identity.ForImage(request.Filename).NewUInt32("cid");
        string desc = VmdkDescriptorWriter.Write(cid, parentCid, o.SubformatName,
            o.BackingFile, extentLines.ToString(), hw, size, o.AdapterType, o.ToolsVersion);
        byte[] bytes = Encoding.UTF8.GetBytes(desc);
        if (monolithicSparse)
        {
            descFile.Write(0x200, bytes); // spec: descriptorOffset 1, in the 20 sectors reserved for it
        }
        else
        {
            descFile.Write(0, bytes);
            descFile.SetLength(bytes.Length); // qemu truncates the descriptor file to its text
        }
    }

    /// <summary>qemu's filename_decompose: the directory part (with its slash), the base name before its last dot, and the rest.</summary>
    private static (string Dir, string Prefix, string Postfix) Decompose(string filename)
    {
        if (filename.Length == 0) throw new ImageException("No filename provided");
        int slash = filename.LastIndexOf('/');
        if (slash < 0) slash = filename.LastIndexOf('\\');
        if (slash < 0) slash = filename.LastIndexOf(':');
        string dir = slash < 0 ? "" : filename[..(slash + 1)];
        string name = filename[(slash + 1)..];
        int dot = name.LastIndexOf('.');
        return dot < 0 ? (dir, name, "") : (dir, name[..dot], name[dot..]);
    }

    /// <summary>
    /// qemu's vmdk_init_extent for a sparse extent of <paramref name="bytes"/> (the arithmetic in qemu's 32-bit
    /// types): header, file extended to the first grain, redundant GD at sector 21 naming the GTs after it, GD after
    /// those naming its own GTs. Grains of 128 sectors (spec: the default 64 KiB grain), 512 GTEs per GT.
    /// </summary>
    internal static void InitSparseExtent(HostFile file, long bytes, bool compress, bool zeroedGrain)
    {
        var header = new SparseExtentHeader
        {
            // spec: version 3 for stream-optimized (compressed grains), 2 when zeroed-grain GTEs are used, else 1
            Version = compress ? 3u : zeroedGrain ? 2u : 1u,
            // spec: bit 0 valid newline test, bit 1 redundant grain table; bits 16/17 compressed grains with markers
            Flags = SparseExtentHeader.FlagRedundantGrainTable | SparseExtentHeader.FlagNewlineDetect |
                    (compress ? SparseExtentHeader.FlagCompressed | SparseExtentHeader.FlagMarkers : 0) |
                    (zeroedGrain ? SparseExtentHeader.FlagZeroedGrain : 0),
            CompressAlgorithm = compress ? SparseExtentHeader.CompressionDeflate : (ushort)0,
            Capacity = (ulong)(bytes / 512),
            GrainSize = 128,
            NumGtesPerGt = 512,
        };
        uint grains = unchecked((uint)((header.Capacity + header.GrainSize - 1) / header.GrainSize));
        uint gtSize = (512 * 4 + 511) / 512; // sectors per GT
        uint gtCount = (grains + header.NumGtesPerGt - 1) / header.NumGtesPerGt;
        uint gdSectors = (uint)(((ulong)gtCount * 4 + 511) / 512);
        header.DescriptorOffset = 1; // spec: the embedded descriptor follows the header sector
        header.DescriptorSize = 20;
        header.RgdOffset = header.DescriptorOffset + header.DescriptorSize;
        header.GdOffset = header.RgdOffset + gdSectors + unchecked(gtSize * gtCount);
        header.OverHead = (header.GdOffset + gdSectors + unchecked(gtSize * gtCount) + header.GrainSize - 1) / header.GrainSize * header.GrainSize;

        file.Write(0, header.ToSector().AsSpan(0, SparseExtentHeader.Size));
        file.SetLength((long)header.OverHead * 512);
        WriteDirectory(file, (long)header.RgdOffset, gdSectors, gtCount, unchecked((uint)header.RgdOffset + gdSectors), gtSize);
        WriteDirectory(file, (long)header.GdOffset, gdSectors, gtCount, unchecked((uint)header.GdOffset + gdSectors), gtSize);
    }

    /// <summary>A GD whose entries name consecutive GTs starting at <paramref name="first"/>, written in pieces of at most 1 MiB.</summary>
    private static void WriteDirectory(HostFile file, long sector, uint gdSectors, uint gtCount, uint first, uint gtSize)
    {
        long total = (long)gdSectors * 512;
        var chunk = new byte[(int)Math.Min(total, 1 << 20)];
        for (long done = 0; done < total; done += chunk.Length)
        {
            int n = (int)Math.Min(chunk.Length, total - done);
            long firstIndex = done / 4;
            for (int i = 0; i < n / 4; i++)
            {
                long index = firstIndex + i;
                uint entry = index < gtCount ? unchecked(first + (uint)index * gtSize) : 0;
                BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(i * 4), entry);
            }
            file.Write(sector * 512 + done, chunk.AsSpan(0, n));
        }
    }

    /// <summary>
    /// qemu: the backing file (named relative to the new image) is opened without its own backing, must be a VMDK,
    /// and its CID becomes the new image's parentCID.
    /// </summary>
    private static uint ReadParentCid(CreateRequest request, string backingFile)
    {
        string full = ImageOpener.ResolveBackingName(request.Filename, backingFile);
        using var backing = ImageOpener.OpenNode(request.Context, full, new OpenOptions { NoBacking = true });
        if (backing.FormatName != "vmdk")
            throw new ImageException($"Invalid backing file format: {backing.FormatName}. Must be vmdk");
        return ReadCid(backing.File) ?? throw new ImageException("Failed to read parent CID");
    }

    /// <summary>
    /// qemu's vmdk_read_cid: the first "CID" in the descriptor's first 20 sectors (sector 1 of a sparse file, else
    /// the file's start), the hexadecimal number one character after it.
    /// </summary>
    internal static uint? ReadCid(HostFile file)
    {
        Span<byte> magic = stackalloc byte[4];
        file.Read(0, magic);
        uint m = BinaryPrimitives.ReadUInt32BigEndian(magic);
        long offset = m is VmdkProbe.Vmdk4Magic or VmdkProbe.Vmdk3Magic ? 0x200 : 0;
        var buf = new byte[DescSize];
        file.Read(offset, buf);
        buf[^1] = 0;
        int end = Array.IndexOf(buf, (byte)0);
        string desc = Encoding.Latin1.GetString(buf, 0, end);
        int at = desc.IndexOf("CID", StringComparison.Ordinal);
        if (at < 0 || at + 4 > desc.Length) return null;
        int p = at + 4;
        while (p < desc.Length && char.IsWhiteSpace(desc[p])) p++; // sscanf skips leading white space
        if (p < desc.Length - 1 && desc[p] == '0' && (desc[p + 1] is 'x' or 'X')) p += 2;
        int start = p;
        while (p < desc.Length && Uri.IsHexDigit(desc[p])) p++;
        if (p == start) return null;
        ulong value = 0;
        foreach (char c in desc.AsSpan(start, p - start))
            value = Math.Min(value * 16 + (ulong)Convert.ToInt32(c.ToString(), 16), ulong.MaxValue / 32);
        return unchecked((uint)value);
    }
}
