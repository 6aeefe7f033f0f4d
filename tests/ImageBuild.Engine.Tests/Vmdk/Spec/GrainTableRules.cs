using System.Buffers.Binary;
using H = ImageBuild.Engine.Tests.Vmdk.Spec.SparseExtentHeader;

namespace ImageBuild.Engine.Tests.Vmdk.Spec;

/// <summary>One allocated grain table entry: the grain's first virtual sector and the file sector it points at.</summary>
public readonly record struct MappedGrain(ulong Lba, uint Sector, long EntryOffset);

/// <summary>The grain directory and tables (section "Grain Directories and Grain Tables"): placement and uniqueness.</summary>
public static class GrainTableRules
{
    /// <summary>The number of grain directory entries the header's capacity needs.</summary>
    public static ulong DirectoryEntries(H h) => (h.Capacity + h.GrainSize * h.NumGtesPerGt - 1) / (h.GrainSize * h.NumGtesPerGt);

    /// <summary>The directory's size in sectors, as a GD marker or a header area counts it.</summary>
    public static ulong DirectorySectors(H h) => (DirectoryEntries(h) * 4 + 511) / 512;

    /// <summary>Checks the directory at <paramref name="gdOffset"/> and its tables; returns the allocated grains, or null.</summary>
    public static List<MappedGrain>? Check(H h, ulong gdOffset, ExtentFile file, Findings f, bool stream)
    {
        string p = file.Path;
        ulong gdSectors = DirectorySectors(h);
        ulong gtSectors = h.NumGtesPerGt * 4UL / 512;
        if (!f.Require(gdOffset >= 1 && file.HoldsSectors(gdOffset, gdSectors), VmdkRules.GdInFile, p, null,
                $"directory at sector {gdOffset} ({gdSectors} sectors) in a file of {file.Sectors} sectors"))
            return null;
        byte[] gd = file.Read((long)gdOffset * 512, (int)(DirectoryEntries(h) * 4));
        ulong metadataEnd = gdOffset + gdSectors;
        var grains = new List<MappedGrain>();
        for (int i = 0; i < gd.Length / 4; i++)
        {
            uint gt = BinaryPrimitives.ReadUInt32LittleEndian(gd.AsSpan(i * 4));
            if (gt == 0) continue;
            long entryAt = (long)gdOffset * 512 + i * 4;
            if (!f.Require(file.HoldsSectors(gt, gtSectors), VmdkRules.GdInFile, p, entryAt, $"GDE {i} points at sector {gt}, outside the file"))
                continue;
            metadataEnd = Math.Max(metadataEnd, gt + gtSectors);
            byte[] table = file.Read((long)gt * 512, (int)(gtSectors * 512));
            for (int j = 0; j < h.NumGtesPerGt; j++)
            {
                uint gte = BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(j * 4));
                ulong lba = ((ulong)i * h.NumGtesPerGt + (ulong)j) * h.GrainSize;
                if (gte == 0 || lba >= h.Capacity) continue;
                if (gte == 1 && h.Has(H.FlagZeroedGrain)) continue;
                grains.Add(new MappedGrain(lba, gte, (long)gt * 512 + j * 4));
            }
        }
        if (!stream)
            f.Require(h.OverHead >= metadataEnd, VmdkRules.Overhead, p, H.At.OverHead,
                $"overHead {h.OverHead} but the metadata ends at sector {metadataEnd}");
        foreach (var g in grains)
        {
            // A stream's GTE points at a grain marker (at least one sector); a plain grain is grainSize sectors.
            ulong need = stream ? 1 : h.GrainSize;
            f.Require(g.Sector >= h.OverHead && file.HoldsSectors(g.Sector, need), VmdkRules.GteInFile, p, g.EntryOffset,
                $"GTE for LBA {g.Lba} points at sector {g.Sector} (overHead {h.OverHead}, file {file.Sectors} sectors)");
        }
        foreach (var dup in grains.GroupBy(g => g.Sector).Where(g => g.Count() > 1))
            f.Add(VmdkRules.SharedGrain, p, dup.First().EntryOffset,
                $"sector {dup.Key} is the grain of LBAs {string.Join(", ", dup.Select(g => g.Lba))}");
        return grains;
    }

    /// <summary>The redundant directory maps the same grains as the primary one.</summary>
    public static void CheckRedundant(H h, List<MappedGrain> primary, ExtentFile file, Findings f)
    {
        var scratch = new Findings();
        var copy = Check(h, h.RgdOffset, file, scratch, stream: false);
        bool same = copy is not null && copy.Select(g => (g.Lba, g.Sector)).SequenceEqual(primary.Select(g => (g.Lba, g.Sector)));
        f.Require(same, VmdkRules.Redundant, file.Path, (long)h.RgdOffset * 512,
            copy is null ? "the redundant directory is unreadable" : $"{copy.Count} grains mapped by the redundant tables, {primary.Count} by the primary");
    }
}
