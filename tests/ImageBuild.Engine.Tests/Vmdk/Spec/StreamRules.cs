using System.IO.Compression;
using H = ImageBuild.Engine.Tests.Vmdk.Spec.SparseExtentHeader;

namespace ImageBuild.Engine.Tests.Vmdk.Spec;

/// <summary>Section "Stream-Optimized Compressed Sparse Extents": markers, compressed grains, order, footer and end of stream.</summary>
public static class StreamRules
{
    /// <summary>The footer when the header defers the directory to the end (gdOffset = GD_AT_END), else the header itself.</summary>
    public static H CheckFooter(H header, ExtentFile file, Findings f)
    {
        if (header.GdOffset != H.GdAtEnd) return header;
        string p = file.Path;
        long len = file.Length;
        if (!f.Require(len % 512 == 0 && len >= 4 * 512, VmdkRules.Footer, p, null, $"file of {len} bytes has no room for footer and end of stream"))
            return header;
        var marker = StreamMarker.Read(file.Read(len - 1536, 512));
        var footer = H.Read(file.Read(len - 1024, 512));
        byte[] eos = file.Read(len - 512, 512);
        f.Require(marker is { Value: 1, Size: 0, Type: StreamMarker.Footer }, VmdkRules.Footer, p, len - 1536,
            $"footer marker numSectors {marker.Value}, size {marker.Size}, type {marker.Type}");
        bool same = footer.Magic == H.MagicNumber && footer.GdOffset != H.GdAtEnd && footer.Capacity == header.Capacity
            && footer.GrainSize == header.GrainSize && footer.NumGtesPerGt == header.NumGtesPerGt && footer.Version == header.Version;
        f.Require(same, VmdkRules.Footer, p, len - 1024,
            $"footer magic 0x{footer.Magic:x8}, version {footer.Version}, capacity {footer.Capacity}, grainSize {footer.GrainSize}, gdOffset 0x{footer.GdOffset:x}");
        f.Require(eos.All(b => b == 0), VmdkRules.Footer, p, len - 512, "the last sector is not an end-of-stream marker");
        return same ? footer : header;
    }

    /// <summary>Walks the stream from overHead; returns the grain markers found, by sector.</summary>
    public static Dictionary<ulong, ulong> Walk(H h, ExtentFile file, Findings f)
    {
        string p = file.Path;
        var grains = new Dictionary<ulong, ulong>();
        ulong fileSectors = (ulong)file.Sectors, grainBytes = h.GrainSize * 512;
        ulong pos = h.OverHead;
        long lastLba = -1;
        bool sawEos = false;
        while (pos < fileSectors)
        {
            long at = (long)pos * 512;
            byte[] sector = file.Read(at, 512);
            if (sector.Length < 16) break;
            var m = StreamMarker.Read(sector);
            if (m.IsGrain)
            {
                CheckGrain(h, file, f, m, at, grainBytes);
                f.Require((long)m.Value > lastLba, VmdkRules.GrainOrder, p, at, $"grain LBA {m.Value} after LBA {lastLba}");
                lastLba = Math.Max(lastLba, (long)Math.Min(m.Value, long.MaxValue));
                grains[pos] = m.Value;
                pos += ((ulong)StreamMarker.DataOffset + m.Size + 511) / 512;
                continue;
            }
            if (m.IsEndOfStream)
            {
                sawEos = true;
                f.Require(pos + 1 == fileSectors, VmdkRules.EndOfStream, p, at, $"{fileSectors - pos - 1} sectors follow the end-of-stream marker");
                break;
            }
            ulong expected = m.Type switch
            {
                StreamMarker.GrainTable => h.NumGtesPerGt * 4UL / 512,
                StreamMarker.GrainDirectory => GrainTableRules.DirectorySectors(h),
                StreamMarker.Footer => 1,
                _ => ulong.MaxValue,
            };
            if (!f.Require(m.Value == expected && pos + 1 + m.Value <= fileSectors, VmdkRules.MetadataMarker, p, at,
                    $"marker numSectors {m.Value}, size {m.Size}, type {m.Type} (expected numSectors {(expected == ulong.MaxValue ? "-" : expected)})"))
                break;
            pos += 1 + m.Value;
        }
        f.Require(sawEos, VmdkRules.EndOfStream, p, null, "the stream reaches the end of the file without an end-of-stream marker");
        return grains;
    }

    private static void CheckGrain(H h, ExtentFile file, Findings f, StreamMarker m, long at, ulong grainBytes)
    {
        string p = file.Path;
        bool placed = m.Value % h.GrainSize == 0 && m.Value < h.Capacity && m.Size < int.MaxValue
            && (ulong)at + StreamMarker.DataOffset + m.Size <= (ulong)file.Length;
        if (!f.Require(placed, VmdkRules.GrainMarker, p, at, $"grain marker LBA {m.Value}, size {m.Size} (grainSize {h.GrainSize}, capacity {h.Capacity})"))
            return;
        ulong full = Math.Min(h.GrainSize, h.Capacity - m.Value) * 512;
        long inflated = Inflate(file.Read(at + StreamMarker.DataOffset, (int)m.Size), grainBytes + 1);
        bool ok = (ulong)inflated == grainBytes || (inflated >= 0 && (ulong)inflated == full);
        f.Require(ok, VmdkRules.GrainDeflate, p, at,
            inflated < 0 ? $"grain at LBA {m.Value} is not valid zlib/deflate data" : $"grain at LBA {m.Value} inflates to {inflated} bytes, not {grainBytes}{(full != grainBytes ? $" or {full}" : "")}");
    }

    /// <summary>The inflated length, capped at <paramref name="limit"/>; -1 when the data is not a valid zlib stream.</summary>
    private static long Inflate(byte[] data, ulong limit)
    {
        try
        {
            using var z = new ZLibStream(new MemoryStream(data), CompressionMode.Decompress);
            var buf = new byte[64 * 1024];
            long total = 0;
            int n;
            while ((n = z.Read(buf)) > 0)
            {
                total += n;
                if ((ulong)total >= limit) return total;
            }
            return total;
        }
        catch (InvalidDataException)
        {
            return -1;
        }
    }

    /// <summary>Each GTE points at a grain marker that carries the GTE's LBA.</summary>
    public static void CheckGtes(List<MappedGrain> mapped, Dictionary<ulong, ulong> markers, ExtentFile file, Findings f)
    {
        foreach (var g in mapped)
        {
            ulong lba = markers.TryGetValue(g.Sector, out var l) ? l : ReadMarkerLba(file, g.Sector);
            f.Require(lba == g.Lba, VmdkRules.StreamGte, file.Path, g.EntryOffset,
                $"GTE for LBA {g.Lba} points at sector {g.Sector}, whose marker says {(lba == ulong.MaxValue ? "no grain" : $"LBA {lba}")}");
        }
    }

    private static ulong ReadMarkerLba(ExtentFile file, uint sector)
    {
        byte[] b = file.Read((long)sector * 512, 512);
        if (b.Length < 16) return ulong.MaxValue;
        var m = StreamMarker.Read(b);
        return m.IsGrain ? m.Value : ulong.MaxValue;
    }
}
