using System.Buffers.Binary;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>
/// An opened VMDK disk (qemu's block/vmdk.c, BDRVVmdkState): the primary file (qemu's bs->file: a text descriptor, or
/// a single sparse extent with its descriptor embedded) and the extents, in descriptor order, that make up the disk's
/// sectors one after the other. This file is the open flow (vmdk_open); I/O, CID handling, info and check are in the
/// other parts.
/// </summary>
public sealed partial class VmdkDevice : BlockDevice
{
    /// <summary>VMDK 5.0 spec, hosted sparse extent header: the embedded descriptor usually starts at sector 1; qemu reads the CID there (s->desc_offset = 0x200).</summary>
    private const long SparseDescOffset = 0x200;

    /// <summary>Nested descriptors (a capacity-0 sparse extent whose embedded descriptor names further extents): qemu recurses without bound; we stop here.</summary>
    private const int MaxDescriptorDepth = 8;

    /// <summary>
    /// Extent files one disk may open. qemu has no limit: a descriptor of 60000 lines takes it minutes and fails with
    /// "Too many open files"; a real disk has at most a few thousand (2 TB in 2 GB extents is 1024).
    /// </summary>
    internal const int MaxExtents = 4096;

    private readonly HostFile _file;
    private readonly VmdkExtent[] _extents;
    private readonly long[] _starts;
    private readonly long _virtualSize;
    private readonly ImageContext _context;

    /// <summary>Files held open that are not extents themselves (sparse files whose embedded descriptor names the extents).</summary>
    private readonly HostFile[] _kept;

    /// <summary>qemu's s->desc_offset: where the CID lines are read and rewritten (0 in a descriptor file, 0x200 in a sparse file).</summary>
    private readonly long _descOffset;

    private VmdkDevice(OpenRequest request, OpenState state, long descOffset, uint cid, uint parentCid, string? parentHint)
        : base(request.Filename, !request.Writable)
    {
        _file = request.File;
        _context = request.Context;
        _extents = [.. state.Extents];
        _starts = new long[_extents.Length];
        long total = 0;
        for (int i = 0; i < _extents.Length; i++)
        {
            _starts[i] = total;
            total += _extents[i].Length;
        }
        _virtualSize = total;
        _descOffset = descOffset;
        _kept = [.. state.Kept];
        CreateType = state.CreateType ?? ""; // a COWD file opened on its own has none: qemu prints ""
        Cid = cid;
        ParentCid = parentCid;
        if (parentHint is not null)
        {
            // VMDK 5.0 spec, "Parent File Name Hint" (delta links); qemu opens the parent as vmdk, whatever it is
            BackingFilename = parentHint;
            BackingFormat = "vmdk";
        }
    }

    public override string FormatName => "vmdk";

    public override long VirtualSize => _virtualSize;

    public override HostFile File => _file;

    /// <summary>The CID read at open (VMDK 5.0 spec, "Content ID": changes when the disk's content changes).</summary>
    internal uint Cid { get; }

    /// <summary>The parentCID read at open (VMDK 5.0 spec: the CID of the parent when this delta was made; ffffffff without parent).</summary>
    internal uint ParentCid { get; }

    /// <summary>qemu's s->create_type: the descriptor's createType, monolithicSparse / streamOptimized for a KDMV file opened on its own, "" for a COWD one.</summary>
    internal string CreateType { get; }

    public override bool SupportsBacking => true;

    /// <summary>qemu's vmdk_open. The request's file is the image's primary file; extents are opened as its children.</summary>
    public static BlockDevice Open(OpenRequest request)
    {
        var state = new OpenState(request);
        try
        {
            HostFile file = request.File;
            byte[] buf = ReadDescriptorBuffer(file, 0);
            uint magic = BinaryPrimitives.ReadUInt32BigEndian(buf);
            long descOffset;
            if (magic is VmdkProbe.Vmdk3Magic or VmdkProbe.Vmdk4Magic)
            {
                OpenSparse(state, file, magic, type: "", depth: 0, ownsFile: false);
                descOffset = SparseDescOffset;
            }
            else
            {
                OpenDescriptorText(state, VmdkDescriptor.FromBytes(buf), depth: 0);
                descOffset = 0;
            }
            byte[] area = ReadCidArea(file, descOffset);
            // a bare EINVAL from the driver: qemu's bdrv_open adds "Could not open 'F': " and strerror
            ImageException Bare() => new($"Could not open '{request.Filename}': Invalid argument") { Errno = 22 };
            string? parent = VmdkDescriptor.ParentFileNameHint(area) ?? (VmdkDescriptor.HasUnreadableParentHint(area) ? throw Bare() : null);
            uint cid = VmdkDescriptor.ReadCid(area, parent: false) ?? throw Bare();
            uint parentCid = VmdkDescriptor.ReadCid(area, parent: true) ?? throw Bare();
            return new VmdkDevice(request, state, descOffset, cid, parentCid, parent);
        }
        catch
        {
            state.DisposeOpened();
            throw;
        }
    }

    /// <summary>A bare EINVAL of an I/O request (qemu: "error while reading ...: Invalid argument").</summary>
    private static ImageException InvalidArgument() => new("Invalid argument") { Errno = 22 };

    /// <summary>
    /// qemu's vmdk_read_desc: an empty file is refused (qemu's length is in whole sectors, so "under 4 bytes" is empty); otherwise at most <see cref="VmdkDescriptor.MaxTextSize"/>
    /// bytes from <paramref name="offset"/> (zeros past the end of the file).
    /// </summary>
    private static byte[] ReadDescriptorBuffer(HostFile file, long offset)
    {
        long size = (file.Length + 511) & ~511L; // bdrv_getlength: whole sectors
        if (size < 4)
            throw new ImageException("File is too small, not a valid image");
        var buf = new byte[Math.Min(size, VmdkDescriptor.MaxTextSize)];
        file.Read(offset, buf);
        return buf;
    }

    /// <summary>The 20 sectors qemu reads for CID and parent hint (zeros past the end of the file).</summary>
    private static byte[] ReadCidArea(HostFile file, long descOffset)
    {
        var area = new byte[VmdkDescriptor.CidAreaSize];
        file.Read(descOffset, area);
        return area;
    }

    /// <summary>
    /// qemu's vmdk_open_desc_file: the createType must be one a descriptor file can have ("Unsupported image type"),
    /// then the extents are opened in order.
    /// </summary>
    private static void OpenDescriptorText(OpenState state, VmdkDescriptor descriptor, int depth)
    {
        string createType = descriptor.CreateType ?? throw new ImageException("invalid VMDK image descriptor");
        if (!VmdkDescriptor.IsDescriptorFileType(createType))
            throw new ImageException($"Unsupported image type '{createType}'");
        state.CreateType = createType;
        foreach (var line in descriptor.ExtentLines())
            OpenExtent(state, line, depth);
    }

    /// <summary>
    /// One extent line (qemu's vmdk_parse_extents body): the file is the name as given when absolute, else the name
    /// appended to the directory part of the image's filename (qemu's bdrv_dirname + name: `..` is kept as written,
    /// so a descriptor can name any file its user may open; an untrusted-policy context refuses those outside the
    /// image's directory). FLAT/VMFS files are data children, the sparse kinds data and metadata.
    /// </summary>
    private static void OpenExtent(OpenState state, VmdkExtentLine line, int depth)
    {
        var request = state.Request;
        string path = line.FileName.StartsWith('/') ? line.FileName : ImageOpener.ResolveBackingName(request.Filename, line.FileName);
        bool flat = line.Type is "FLAT" or "VMFS";
        if (state.Extents.Count >= MaxExtents)
            throw new ImageException($"'{request.Filename}' names more than {MaxExtents} extents");
        if (Directory.Exists(path)) // the file protocol's refusal, as for the image itself
            throw new ImageException($"'file' driver requires '{path}' to be a regular file");
        HostFile file = request.OpenChild(path, "extent file", flat ? ChildRole.Data : ChildRole.DataAndMetadata);
        try
        {
            if (flat)
            {
                long length = SectorsToBytes(line.Sectors, path);
                long start = SectorsToBytes(line.FlatOffsetSectors, path);
                state.Add(new FlatExtent(line.Type, length, file, start));
            }
            else if (line.Type == "SESPARSE")
            {
                if (request.Writable) // qemu's vmdk_open_se_sparse: bdrv_apply_auto_read_only, without auto-read-only
                    throw new ImageException("No write support for seSparse images available");
                var map = SeSparse.SeSparseGrainMap.Open(file);
                state.Add(new GrainMapExtent(line.Type, map.Capacity, file, map, checked((int)map.ClusterSize)));
            }
            else
            {
                byte[] buf = ReadDescriptorBuffer(file, 0);
                uint magic = BinaryPrimitives.ReadUInt32BigEndian(buf);
                if (magic is not (VmdkProbe.Vmdk3Magic or VmdkProbe.Vmdk4Magic))
                    throw new ImageException("Image not in VMDK format");
                OpenSparse(state, file, magic, line.Type, depth, ownsFile: true);
            }
        }
        catch
        {
            if (!state.Owns(file)) file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// qemu's vmdk_open_sparse: COWD (vmdk_open_vmfs_sparse) or KDMV (vmdk_open_vmdk4). A KDMV file of capacity 0
    /// with an embedded descriptor is a descriptor (its extents are opened instead); otherwise the extent covers the
    /// header's capacity — not the descriptor line's sector count, which qemu only checks to be positive.
    /// </summary>
    private static void OpenSparse(OpenState state, HostFile file, uint magic, string type, int depth, bool ownsFile)
    {
        if (magic == VmdkProbe.Vmdk3Magic)
        {
            var map = Cowd.CowdGrainMap.Open(file);
            state.Add(new GrainMapExtent(type, map.Capacity, file, map, checked((int)map.ClusterSize)));
            return;
        }
        Span<byte> capacityField = stackalloc byte[8];
        file.Read(12, capacityField); // VMDK 5.0 spec, SparseExtentHeader.capacity (sectors) after magic and version, flags
        ulong capacity = BinaryPrimitives.ReadUInt64LittleEndian(capacityField);
        if (capacity == 0 && SparseExtent.ReadEmbeddedDescriptor(file) is { } embedded)
        {
            if (depth >= MaxDescriptorDepth)
                throw new ImageException($"'{file.Path}': descriptors embedded in sparse extents nest more than {MaxDescriptorDepth} deep");
            if (ownsFile) state.Keep(file);
            OpenDescriptorText(state, VmdkDescriptor.FromBytes(System.Text.Encoding.Latin1.GetBytes(embedded)), depth + 1);
            return;
        }
        state.CreateType ??= "monolithicSparse";
        // the extent validates its header first (qemu's "L1 size too big" for absurd capacities)
        bool fits = capacity <= MaxLength / 512;
        var extent = SparseExtent.Open(file, type, fits ? (long)capacity * 512 : long.MaxValue & ~511L, state.Request.Writable);
        if (!fits)
        {
            extent.Dispose();
            throw TooLarge();
        }
        state.Add(extent);
        if (extent.IsCompressed)
            state.CreateType = "streamOptimized";
    }

    /// <summary>qemu's BDRV_MAX_LENGTH: INT64_MAX aligned down to BDRV_MAX_ALIGNMENT (1 GiB).</summary>
    private const long MaxLength = long.MaxValue & ~((1L << 30) - 1);

    /// <summary>qemu's bdrv_refresh_total_sectors refusal of a disk longer than BDRV_MAX_LENGTH.</summary>
    private static ImageException TooLarge() => new("Could not refresh total sector count: File too large") { Errno = 27 };

    /// <summary>Sectors to bytes; a count past qemu's maximum disk length is refused as qemu refuses the disk.</summary>
    private static long SectorsToBytes(long sectors, string path)
    {
        if (sectors > MaxLength / 512)
            throw TooLarge();
        return sectors * 512;
    }

    /// <summary>The extents opened so far and the files to close if the open fails.</summary>
    private sealed class OpenState(OpenRequest request)
    {
        private readonly List<HostFile> _kept = [];

        public OpenRequest Request { get; } = request;

        public List<VmdkExtent> Extents { get; } = [];

        public string? CreateType { get; set; }

        private long _total;

        public void Add(VmdkExtent extent)
        {
            Extents.Add(extent);
            if (extent.Length > MaxLength - _total)
                throw TooLarge();
            _total += extent.Length;
        }

        /// <summary>A file that is not an extent itself but must stay open until the device closes (a nested descriptor).</summary>
        public void Keep(HostFile file) => _kept.Add(file);

        public bool Owns(HostFile file) => Extents.Any(e => ReferenceEquals(e.File, file)) || _kept.Contains(file);

        public IReadOnlyList<HostFile> Kept => _kept;

        /// <summary>Closes what a failed open opened (the request's own file is the opener's to close).</summary>
        public void DisposeOpened()
        {
            foreach (var e in Extents)
                if (!ReferenceEquals(e.File, Request.File)) e.Dispose();
            foreach (var f in _kept) f.Dispose();
        }
    }
}
