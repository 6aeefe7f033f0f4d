using System.Buffers.Binary;
using ImageBuild.Engine.Formats.Vmdk.SeSparse;

namespace ImageBuild.Engine.Tests.Vmdk;

/// <summary>
/// Writes an seSparse extent as qemu's vmdk_open_se_sparse reads it (const header in sector 0, volatile header in
/// sector 1, the grain directory, the grain tables, the grains) and the descriptor qemu needs to open it
/// (createType="seSparse", one SESPARSE extent line, CID and parentCID). Grain tables are numbered in the reverse
/// order of their directory entries and grains are given the grain numbers listed, so that both indirections and
/// the split encoding of grain numbers are exercised. Grains hold <see cref="CowdImageBuilder.GrainPattern"/>; the
/// file is sparse, so far grain numbers cost no disk.
/// </summary>
internal sealed class SeSparseImageBuilder
{
    public const int GrainSectors = 8;
    public const long GrainsPerTable = 4096;

    public ulong CapacitySectors { get; init; } = 2 * 32768;
    public ulong GrainDirSectors { get; init; } = 1;

    /// <summary>Guest grain number and the grain number (slot in the grains area) it is stored at.</summary>
    public IReadOnlyList<(long Guest, ulong Slot)> Grains { get; init; } = [(0, 0), (2, 4097), (4097, 1)];

    /// <summary>Guest grains whose entries say zeroed (type 2) or SCSI-unmapped (type 1).</summary>
    public IReadOnlyList<long> ZeroGrains { get; init; } = [5];
    public IReadOnlyList<long> UnmappedGrains { get; init; } = [6];

    public Func<SeSparseConstHeader, SeSparseConstHeader>? EditHeader { get; init; }

    public ulong GrainDirOffset => 2;
    public ulong GrainTablesOffset => GrainDirOffset + GrainDirSectors;

    /// <summary>Sectors reserved for grain tables: one per directory entry in use, at most 4.</summary>
    public ulong GrainTablesSectors => 4 * 64;
    public ulong GrainsOffset => GrainTablesOffset + GrainTablesSectors;

    public SeSparseConstHeader Header() => new()
    {
        Magic = SeSparseConstHeader.MagicValue, Version = SeSparseConstHeader.SupportedVersion,
        Capacity = CapacitySectors, GrainSize = 8, GrainTableSize = 64,
        VolatileHeaderOffset = 1, VolatileHeaderSize = 1,
        GrainDirOffset = GrainDirOffset, GrainDirSize = GrainDirSectors,
        GrainTablesOffset = GrainTablesOffset, GrainTablesSize = GrainTablesSectors,
        GrainsOffset = GrainsOffset, GrainsSize = 1024,
    };

    /// <summary>Writes <paramref name="extentPath"/> and, when given, a descriptor naming it.</summary>
    public void Write(string extentPath, string? descriptorPath = null, Action<FileStream, Func<long, long>>? patch = null)
    {
        using (var fs = new FileStream(extentPath, FileMode.Create, FileAccess.ReadWrite))
        {
            var sector = new byte[512];
            (EditHeader?.Invoke(Header()) ?? Header()).Write(sector);
            At(fs, 0, sector);
            new SeSparseVolatileHeader { Magic = SeSparseVolatileHeader.MagicValue }.Write(sector);
            At(fs, 512, sector);
            fs.SetLength((long)GrainsOffset * 512);

            var tableOf = new Dictionary<long, uint>();
            long TableAt(long guest)
            {
                long l1 = guest / GrainsPerTable;
                if (!tableOf.TryGetValue(l1, out uint number))
                {
                    number = (uint)(3 - tableOf.Count); // reverse order: the first directory entry in use gets table 3
                    tableOf[l1] = number;
                    At(fs, (long)GrainDirOffset * 512 + l1 * 8, U64(0x1000000000000000UL | number));
                }
                return ((long)GrainTablesOffset + number * 64L) * 512;
            }
            foreach (var (guest, slot) in Grains)
            {
                At(fs, TableAt(guest) + guest % GrainsPerTable * 8, U64(SeSparseGrainTableEntry.Allocated(slot).Value));
                var data = new byte[GrainSectors * 512];
                for (int s = 0; s < GrainSectors; s++) data.AsSpan(s * 512, 512).Fill(CowdImageBuilder.GrainPattern(guest, s));
                At(fs, ((long)GrainsOffset + (long)slot * GrainSectors) * 512, data);
            }
            foreach (long guest in ZeroGrains) At(fs, TableAt(guest) + guest % GrainsPerTable * 8, U64(0x2000000000000000));
            foreach (long guest in UnmappedGrains) At(fs, TableAt(guest) + guest % GrainsPerTable * 8, U64(0x1000000000000000));
            patch?.Invoke(fs, TableAt);
        }
        if (descriptorPath is not null)
            File.WriteAllText(descriptorPath,
                "# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType=\"seSparse\"\n\n" +
                $"# Extent description\nRW {CapacitySectors} SESPARSE \"{Path.GetFileName(extentPath)}\"\n");
    }

    public static byte[] U64(ulong v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        return b;
    }

    public static void At(FileStream fs, long offset, byte[] bytes)
    {
        fs.Position = offset;
        fs.Write(bytes);
    }
}
