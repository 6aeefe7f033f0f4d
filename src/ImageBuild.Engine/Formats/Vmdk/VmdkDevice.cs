using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Compression;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>
/// PLACEHOLDER for the DEVICE helper's VmdkDevice (issue #15): just enough of qemu's vmdk_open to open what the
/// sparse half creates (a monolithic sparse file, or a descriptor naming SPARSE and FLAT extents beside it) and to
/// read, write, zero and compress through <see cref="VmdkExtent"/>. The DEVICE helper's file replaces this one.
/// </summary>
public sealed partial class VmdkDevice : BlockDevice
{
    private const int DescSize = 20 * 512;

    private readonly HostFile _file;
    private readonly List<VmdkExtent> _extents = [];
    private readonly List<long> _starts = [];
    private readonly long _descOffset;
    private readonly ImageContext _context;
    private long _size;
    private bool _cidUpdated;

    private VmdkDevice(OpenRequest request) : base(request.Filename, !request.Writable)
    {
        _file = request.File;
        _context = request.Context;
        Span<byte> magic = stackalloc byte[4];
        _file.Read(0, magic);
        string desc;
        if (BinaryPrimitives.ReadUInt32BigEndian(magic) == VmdkProbe.Vmdk4Magic)
        {
            var extent = SparseExtent.Open(_file, "SPARSE", 0, request.Writable);
            Add(SparseExtent.Open(_file, "SPARSE", extent.Capacity, request.Writable));
            _descOffset = 0x200;
            desc = SparseExtent.ReadEmbeddedDescriptor(_file) ?? "";
        }
        else
        {
            var buf = new byte[Math.Min(_file.Length, (1 << 20) - 1)];
            _file.Read(0, buf);
            desc = Encoding.UTF8.GetString(buf);
            OpenExtents(request, desc);
        }
        // qemu's vmdk_read_cid for CID and parentCID: an image without them is refused
        if (VmdkCreator.ReadCid(_file) is null || !desc.Contains("parentCID", StringComparison.Ordinal))
            throw new ImageException($"Could not open '{request.Filename}': Invalid argument") { Errno = 22 };
        var parent = Regex.Match(desc, "parentFileNameHint=\"([^\"]*)\"");
        if (parent.Success)
        {
            BackingFilename = parent.Groups[1].Value;
            BackingFormat = "vmdk";
        }
    }

    public static BlockDevice Open(OpenRequest request) => new VmdkDevice(request);

    private void OpenExtents(OpenRequest request, string desc)
    {
        var ct = Regex.Match(desc, "createType=\"([^\"]*)\"");
        if (!ct.Success) throw new ImageException("invalid VMDK image descriptor");
        string dir = Path.GetDirectoryName(request.Filename) is { Length: > 0 } d ? d + "/" : "";
        foreach (Match bad in Regex.Matches(desc, "^RW \\d+ VMFS \"[^\"]+\" \\d+$", RegexOptions.Multiline))
            throw new ImageException($"Invalid extent line: {bad.Value}");
        foreach (Match m in Regex.Matches(desc, "^RW (\\d+) (SPARSE|FLAT) \"([^\"]+)\"(?: (\\d+))?", RegexOptions.Multiline))
        {
            long bytes = long.Parse(m.Groups[1].Value) * 512;
            string path = m.Groups[3].Value.StartsWith('/') ? m.Groups[3].Value : dir + m.Groups[3].Value;
            if (m.Groups[2].Value == "FLAT")
            {
                var child = request.OpenChild(path, "extent", ChildRole.Data);
                Add(new FlatPlaceholder(bytes, child, long.Parse(m.Groups[4].Value) * 512));
            }
            else
            {
                var child = request.OpenChild(path, "extent", ChildRole.DataAndMetadata);
                Add(SparseExtent.Open(child, "SPARSE", bytes, request.Writable));
            }
        }
    }

    private void Add(VmdkExtent extent)
    {
        _starts.Add(_size);
        _extents.Add(extent);
        _size += extent.Length;
    }

    public override string FormatName => "vmdk";

    public override long VirtualSize => _size;

    public override HostFile File => _file;

    public override bool SupportsBacking => true;

    public override int ClusterSize => _extents.Count > 0 ? _extents[0].GrainSize : 0;

    public override bool NeedsCompressedWrites => _extents.Count > 0 && _extents[0].IsCompressed;

    public override IReadOnlyList<string> HostFileNames =>
        [_file.Path, .. _extents.Where(e => e.File is not null && e.File != _file).Select(e => e.File!.Path)];

    private (VmdkExtent Extent, long Start) Find(long offset)
    {
        for (int i = 0; i < _extents.Count; i++)
            if (offset < _starts[i] + _extents[i].Length) return (_extents[i], _starts[i]);
        throw new ImageException("Input/output error") { Errno = 5 };
    }

    protected override void ReadCore(long offset, Span<byte> dest)
    {
        while (!dest.IsEmpty)
        {
            var (extent, start) = Find(offset);
            long rel = offset - start;
            var run = extent.Lookup(rel, Math.Min(dest.Length, extent.Length - rel));
            var part = dest[..(int)run.Length];
            switch (run.State)
            {
                case GrainState.Unallocated: ReadBacking(offset, part); break;
                case GrainState.Zero: part.Clear(); break;
                default: extent.ReadRun(run, rel, part); break;
            }
            dest = dest[(int)run.Length..];
            offset += run.Length;
        }
    }

    protected override void WriteCore(long offset, ReadOnlySpan<byte> src)
    {
        while (!src.IsEmpty)
        {
            var (extent, start) = Find(offset);
            int n = (int)Math.Min(src.Length, extent.Length - (offset - start));
            extent.Write(offset - start, src[..n], (o, d) => ReadBacking(start + o, d));
            src = src[n..];
            offset += n;
        }
        UpdateCid();
    }

    protected override void WriteZeroesCore(long offset, long length, WriteZeroesFlags flags)
    {
        var (extent, start) = Find(offset);
        if (offset + length <= start + extent.Length && extent.TryWriteZeroes(offset - start, length))
        {
            UpdateCid();
            return;
        }
        base.WriteZeroesCore(offset, length, flags);
    }

    public override ClusterCompressor? CreateCompressor() =>
        _extents.Count > 0 ? _extents[0].CreateGrainCompressor() : new VmdkGrainCompressor();

    public override void WriteCompressedCluster(long offset, ReadOnlySpan<byte> compressed)
    {
        var (extent, start) = Find(offset);
        if (extent.IsCompressed)
        {
            extent.WriteCompressedGrain(offset - start, compressed, (o, d) => ReadBacking(start + o, d));
            UpdateCid();
            return;
        }
        if (extent.GrainSize == 0) throw new ImageException("invalid cluster size");
        var plain = new byte[Math.Min(extent.GrainSize, VirtualSize - offset)];
        if (!new VmdkGrainCompressor().TryDecompress(compressed, plain))
            throw new ImageException("Input/output error") { Errno = 5 };
        Write(offset, plain);
    }

    public override void FinishCompressedWrites()
    {
        foreach (var e in _extents) e.FinishCompressedWrites();
    }

    /// <summary>qemu's vmdk_write_cid on the first write: "CID=" rewritten in place, the rest from parentCID kept.</summary>
    private void UpdateCid()
    {
        if (_cidUpdated) return;
        _cidUpdated = true;
        var buf = new byte[_descOffset == 0 ? Math.Min(_file.Length, DescSize) : DescSize];
        _file.Read(_descOffset, buf);
        int nul = Array.IndexOf(buf, (byte)0);
        string desc = Encoding.Latin1.GetString(buf, 0, nul < 0 ? Math.Min(buf.Length, DescSize - 1) : nul);
        int parent = desc.IndexOf("parentCID", StringComparison.Ordinal);
        int cid = desc.IndexOf("CID", StringComparison.Ordinal);
        if (parent < 0 || cid < 0) return;
        uint value = _context.Identity.ForImage(Filename).NewUInt32("cid");
        string text = desc[..(cid + 4)] + value.ToString("x") + "\n" + desc[parent..];
        var bytes = Encoding.Latin1.GetBytes(text);
        var outBuf = new byte[_descOffset == 0 ? (bytes.Length + 511) / 512 * 512 : DescSize];
        bytes.AsSpan(0, Math.Min(bytes.Length, outBuf.Length)).CopyTo(outBuf);
        _file.Write(_descOffset, outBuf);
    }

    public override DriverStatus GetDriverStatus(long offset, long length)
    {
        var (extent, start) = Find(offset);
        long rel = offset - start;
        var run = extent.Lookup(rel, Math.Min(length, extent.Length - rel));
        return run.State switch
        {
            GrainState.Unallocated => DriverStatus.Unallocated(run.Length),
            GrainState.Zero => new DriverStatus(run.Length, BlockStatusFlags.Zero),
            GrainState.Compressed => new DriverStatus(run.Length, BlockStatusFlags.Data | BlockStatusFlags.Compressed),
            _ => new DriverStatus(run.Length, BlockStatusFlags.Data | BlockStatusFlags.OffsetValid |
                (extent.GrainSize == 0 ? BlockStatusFlags.Recurse : 0), run.HostOffset, extent.File),
        };
    }

    public override void Flush()
    {
        foreach (var e in _extents) e.Flush();
        _file.Flush();
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        foreach (var e in _extents) e.Dispose();
        _file.Dispose();
    }

    /// <summary>PLACEHOLDER flat extent (the DEVICE helper's FlatExtent replaces it).</summary>
    private sealed class FlatPlaceholder(long length, HostFile file, long start) : VmdkExtent("FLAT", length, file)
    {
        public override bool IsWritable => true;

        public override GrainRun Lookup(long offset, long maxLength) => new(GrainState.Data, start + offset, maxLength);

        public override void Write(long offset, ReadOnlySpan<byte> src, BelowReader below) => File!.Write(start + offset, src);
    }
}
