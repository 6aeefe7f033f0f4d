using System.Buffers.Binary;
using System.Text;
using ImageBuild.Engine.Formats.Vmdk.Cowd;

namespace ImageBuild.Engine.Tests.Vmdk;

/// <summary>
/// Writes a COWD sparse file from the layout in qemu's vmdk_open_vmfs_sparse: the magic and header in sector 0, the
/// descriptor keys qemu looks for at 0x200 (CID, parentCID), the grain directory at <see cref="L1DirOffset"/>, one
/// grain table per directory entry in use, then the grains in the order given. Each grain holds
/// <see cref="GrainPattern"/> so that a grain read from the wrong place, or a sector of it, shows.
/// </summary>
internal sealed class CowdImageBuilder
{
    public uint DiskSectors { get; init; } = 32768;
    public uint Granularity { get; init; } = 16;
    public uint L1DirOffset { get; init; } = 8;

    /// <summary>The directory's entry count; by default enough to cover <see cref="DiskSectors"/>.</summary>
    public uint? L1DirSize { get; init; }

    /// <summary>Guest grain numbers to allocate, in the order their grains are placed in the file.</summary>
    public IReadOnlyList<long> Grains { get; init; } = [0, 3];

    public bool WithDescriptorKeys { get; init; } = true;

    public uint EffectiveL1Size => L1DirSize ?? (uint)((DiskSectors + 4096L * Granularity - 1) / (4096L * Granularity));

    /// <summary>The byte at <paramref name="sectorInGrain"/> of guest grain <paramref name="grain"/>: never 0.</summary>
    public static byte GrainPattern(long grain, long sectorInGrain) => (byte)(1 + (grain * 7 + sectorInGrain) % 251);

    /// <summary>Writes the file; returns the host sector of each grain in <see cref="Grains"/>.</summary>
    public Dictionary<long, long> Write(string path)
    {
        var placed = new Dictionary<long, long>();
        using var fs = new FileStream(path, FileMode.Create, FileAccess.ReadWrite);
        var sector0 = new byte[512];
        BinaryPrimitives.WriteUInt32BigEndian(sector0, CowdHeader.Magic);
        new CowdHeader
        {
            Version = 1, Flags = 3, DiskSectors = DiskSectors, Granularity = Granularity, L1DirOffset = L1DirOffset,
            L1DirSize = EffectiveL1Size,
        }.Write(sector0.AsSpan(CowdHeader.FieldsOffset, CowdHeader.FieldsSize));
        At(fs, 0, sector0);
        if (WithDescriptorKeys)
            At(fs, 512, Encoding.ASCII.GetBytes("CID=12345678\nparentCID=ffffffff\n"));

        long next = L1DirOffset + (EffectiveL1Size * 4L + 511) / 512;
        var tables = new Dictionary<long, long>();
        foreach (long grain in Grains)
        {
            long l1 = grain * Granularity / (4096L * Granularity);
            if (!tables.TryGetValue(l1, out long table))
            {
                table = next;
                next += 4096 * 4 / 512;
                tables[l1] = table;
                At(fs, (long)L1DirOffset * 512 + l1 * 4, U32((uint)table));
            }
            long grainSector = next;
            next += Granularity;
            placed[grain] = grainSector;
            At(fs, table * 512 + grain % 4096 * 4, U32((uint)grainSector));
            var data = new byte[Granularity * 512];
            for (int s = 0; s < Granularity; s++) data.AsSpan(s * 512, 512).Fill(GrainPattern(grain, s));
            At(fs, grainSector * 512, data);
        }
        if (fs.Length < next * 512) fs.SetLength(next * 512);
        return placed;
    }

    private static byte[] U32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return b;
    }

    private static void At(FileStream fs, long offset, byte[] bytes)
    {
        fs.Position = offset;
        fs.Write(bytes);
    }
}
