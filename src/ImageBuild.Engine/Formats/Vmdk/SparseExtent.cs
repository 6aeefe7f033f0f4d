using System.Buffers.Binary;
using System.IO.Compression;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>
/// PLACEHOLDER of the SPARSE helper's SparseExtent (branch i15-sparse), only so that the device compiles and reads
/// real images on this branch: a read-only KDMV reader (GD, GTs, zeroed-grain GTEs, compressed grains with or without
/// markers, the footer of GD-at-end images). The lead takes the SPARSE helper's file at merge.
/// </summary>
internal sealed class SparseExtent : VmdkExtent
{
    private const ulong GdAtEnd = 0xffffffffffffffffUL;
    private readonly uint[] _gd;
    private readonly long _grainBytes;
    private readonly uint _gtes;
    private readonly bool _zeroGrain;
    private readonly bool _markers;

    private SparseExtent(string type, long length, HostFile file, uint[] gd, long grainBytes, uint gtes, bool zeroGrain, bool compressed, bool markers)
        : base(type, length, file)
    {
        _gd = gd;
        _grainBytes = grainBytes;
        _gtes = gtes;
        _zeroGrain = zeroGrain;
        IsCompressed = compressed;
        _markers = markers;
    }

    public long Capacity => Length;

    public override int GrainSize => (int)_grainBytes;

    public override bool IsCompressed { get; }

    public static SparseExtent Open(HostFile file, string type, long length, bool writable)
    {
        var h = new byte[512];
        file.Read(0, h);
        if (BinaryPrimitives.ReadUInt64LittleEndian(h.AsSpan(56)) == GdAtEnd)
        {
            long len = file.Length;
            if (len < 1536) throw new ImageException("Invalid footer");
            file.Read(len - 1024, h);
        }
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(4));
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(8));
        ulong granularity = BinaryPrimitives.ReadUInt64LittleEndian(h.AsSpan(20));
        uint gtes = BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(44));
        ulong gdOffset = BinaryPrimitives.ReadUInt64LittleEndian(h.AsSpan(56));
        bool compressed = BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(77)) == 1;
        if (version > 3) throw new ImageException($"Unsupported VMDK version {version}");
        if (version == 3 && writable && !compressed) throw new ImageException("VMDK version 3 must be read only");
        if (gtes > 512) throw new ImageException("L2 table size too big");
        if (granularity > 0x200000) throw new ImageException("Invalid granularity, image may be corrupt");
        ulong entrySectors = gtes * granularity;
        if (entrySectors == 0) throw new ImageException("L2 table size too small");
        ulong l1Size = ((ulong)(length / 512) + entrySectors - 1) / entrySectors;
        if (l1Size > 32 * 1024 * 1024) throw new ImageException("L1 size too big");
        var gdBytes = new byte[l1Size * 4];
        file.Read((long)gdOffset << 9, gdBytes);
        var gd = new uint[l1Size];
        for (int i = 0; i < gd.Length; i++) gd[i] = BinaryPrimitives.ReadUInt32LittleEndian(gdBytes.AsSpan(i * 4));
        return new SparseExtent(type, length, file, gd, (long)granularity * 512, gtes, (flags & 4) != 0, compressed, (flags & 0x20000) != 0);
    }

    /// <summary>The descriptor embedded at desc_offset, or null.</summary>
    public static string? ReadEmbeddedDescriptor(HostFile file)
    {
        var h = new byte[512];
        file.Read(0, h);
        ulong descOffset = BinaryPrimitives.ReadUInt64LittleEndian(h.AsSpan(28));
        if (descOffset == 0 || descOffset > long.MaxValue >> 9) return null;
        long len = file.Length - ((long)descOffset << 9);
        if (len <= 0) return null;
        var buf = new byte[Math.Min(len, VmdkDescriptor.MaxTextSize)];
        file.Read((long)descOffset << 9, buf);
        return VmdkDescriptor.FromBytes(buf).Text;
    }

    public override GrainRun Lookup(long offset, long maxLength)
    {
        long grain = offset / _grainBytes;
        long inGrain = offset % _grainBytes;
        long n = Math.Min(maxLength, _grainBytes - inGrain);
        long l1 = grain / _gtes;
        if (l1 >= _gd.Length || _gd[l1] == 0) return new GrainRun(GrainState.Unallocated, 0, n);
        Span<byte> e = stackalloc byte[4];
        File!.Read(((long)_gd[l1] << 9) + grain % _gtes * 4, e);
        uint gte = BinaryPrimitives.ReadUInt32LittleEndian(e);
        if (gte == 0) return new GrainRun(GrainState.Unallocated, 0, n);
        if (gte == 1 && _zeroGrain) return new GrainRun(GrainState.Zero, 0, n);
        long host = (long)gte << 9;
        return IsCompressed ? new GrainRun(GrainState.Compressed, host, n) : new GrainRun(GrainState.Data, host + inGrain, n);
    }

    public override void ReadRun(GrainRun run, long offset, Span<byte> dest)
    {
        if (run.State != GrainState.Compressed)
        {
            File!.Read(run.HostOffset, dest);
            return;
        }
        long start = run.HostOffset;
        int size = (int)(_grainBytes * 2);
        if (_markers)
        {
            Span<byte> m = stackalloc byte[12];
            File!.Read(start, m);
            size = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(m[8..]), (uint)(_grainBytes * 2));
            start += 12;
        }
        var packed = new byte[size];
        File!.Read(start, packed);
        var grain = new byte[_grainBytes];
        try
        {
            using var z = new ZLibStream(new MemoryStream(packed), CompressionMode.Decompress);
            z.ReadAtLeast(grain, grain.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException)
        {
            throw new ImageException($"Could not read compressed grain from '{File!.Path}'") { Errno = 5 };
        }
        grain.AsSpan((int)(offset % _grainBytes), dest.Length).CopyTo(dest);
    }
}
