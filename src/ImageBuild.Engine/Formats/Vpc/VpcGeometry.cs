namespace ImageBuild.Engine.Formats.Vpc;

/// <summary>
/// Cylinders, heads and sectors per track of a VHD (footer "Disk Geometry") and the sizes qemu derives from them:
/// the spec's CHS algorithm (appendix "CHS Calculation", with qemu's 255-sector override above 65535·16·63), the
/// rounding of a requested size up to a whole geometry, and qemu 7.2's rule for the size an opened image has.
/// </summary>
internal readonly record struct VpcGeometry(ushort Cylinders, byte Heads, byte SectorsPerTrack)
{
    public const long MaxCylinders = 65535, MaxHeads = 16, MaxSectorsPerTrack = 255;

    /// <summary>65535·16·255: a geometry this large means "use current_size" (qemu's VHD_MAX_GEOMETRY).</summary>
    public const long MaxGeometrySectors = MaxCylinders * MaxHeads * MaxSectorsPerTrack;

    /// <summary>qemu's VHD_MAX_SECTORS: 2040 GiB, the largest disk qemu creates or opens.</summary>
    public const long MaxSectors = 0xff00_0000;

    public static readonly VpcGeometry Max = new((ushort)MaxCylinders, (byte)MaxHeads, (byte)MaxSectorsPerTrack);

    public long Sectors => (long)Cylinders * Heads * SectorsPerTrack;

    /// <summary>The spec's algorithm for <paramref name="totalSectors"/>; the geometry may describe fewer sectors.</summary>
    public static VpcGeometry Calculate(long totalSectors)
    {
        totalSectors = Math.Min(totalSectors, MaxGeometrySectors);
        uint sectors, heads, cylTimesHeads;
        if (totalSectors >= 65535L * 16 * 63)
        {
            sectors = 255;
            heads = 16;
            cylTimesHeads = (uint)(totalSectors / sectors);
        }
        else
        {
            sectors = 17;
            cylTimesHeads = (uint)(totalSectors / sectors);
            heads = (cylTimesHeads + 1023) / 1024;
            if (heads < 4)
                heads = 4;
            if (cylTimesHeads >= heads * 1024 || heads > 16)
            {
                sectors = 31;
                heads = 16;
                cylTimesHeads = (uint)(totalSectors / sectors);
            }
            if (cylTimesHeads >= heads * 1024)
            {
                sectors = 63;
                heads = 16;
                cylTimesHeads = (uint)(totalSectors / sectors);
            }
        }
        return new VpcGeometry((ushort)(cylTimesHeads / heads), (byte)heads, (byte)sectors);
    }

    /// <summary>
    /// qemu's calculate_rounded_image_size: the geometry and sector count for a requested size of
    /// <paramref name="bytes"/> (already a multiple of 512). Without force_size the sectors are raised one at a time
    /// until a geometry holds them all; a geometry of the maximum means the size is kept as it is. Null when the
    /// result exceeds 2040 GiB (qemu's EFBIG).
    /// </summary>
    public static (VpcGeometry Geometry, long Sectors)? RoundedSize(long bytes, bool forceSize)
    {
        VpcGeometry g = default;
        if (forceSize)
        {
            g = Max;
        }
        else
        {
            long total = Math.Min(MaxGeometrySectors, bytes / 512);
            for (long i = 0; total > g.Sectors; i++)
                g = Calculate(total + i);
        }
        long sectors = g.Sectors;
        if (sectors == MaxGeometrySectors)
        {
            sectors = bytes / 512;
            if (sectors > MaxSectors)
                return null;
        }
        return (g, sectors);
    }

    /// <summary>
    /// The virtual size in sectors as qemu 7.2's vpc_open takes it: C·H·S, unless the creator application is one that
    /// sizes disks by current_size ("win " Hyper-V, "qem2" qemu with force_size, "d2v " Disk2vhd, "CTXS" XenConverter,
    /// "tap\0" XenServer) or the geometry is the maximum, when current_size / 512 is used.
    /// </summary>
    public static long OpenSectors(VpcFooter footer)
    {
        ReadOnlySpan<byte> app = footer.CreatorApp;
        bool useChs = !(app.SequenceEqual("win "u8) || app.SequenceEqual("qem2"u8) || app.SequenceEqual("d2v "u8)
            || app.SequenceEqual("CTXS"u8) || app.SequenceEqual("tap\0"u8));
        long chs = footer.GeometrySectors;
        return !useChs || chs == MaxGeometrySectors ? (long)(footer.CurrentSize / 512) : chs;
    }
}
