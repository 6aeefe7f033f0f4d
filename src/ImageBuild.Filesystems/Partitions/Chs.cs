namespace ImageBuild.Filesystems.Partitions;

/// <summary>
/// The 3-byte cylinder/head/sector address of an MBR partition record, as libfdisk (sfdisk) writes it for a disk it
/// only knows by LBA: a 255-head, 63-sector geometry, and any address past cylinder 1023 clamped to 1023/254/63
/// (bytes FE FF FF).
/// </summary>
internal static class Chs
{
    private const long Heads = 255, Sectors = 63;

    public static void Write(Span<byte> three, long lba)
    {
        if (lba / (Heads * Sectors) > 1023) lba = Heads * Sectors * 1024 - 1;
        long c = lba / (Heads * Sectors);
        long rest = lba % (Heads * Sectors);
        long h = rest / Sectors;
        long s = rest % Sectors + 1;
        three[0] = (byte)h;
        three[1] = (byte)(s | ((c >> 2) & 0xC0));
        three[2] = (byte)(c & 0xFF);
    }
}
