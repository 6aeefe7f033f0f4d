namespace ImageBuild.Engine.Operations;

/// <summary>
/// Zero detection for convert's sparse output, in 512-byte sectors as qemu-img does (is_allocated_sectors
/// and is_allocated_sectors_min): run ends are nudged to an alignment, and zero runs shorter than the
/// -S minimum inside data are written as data rather than split off.
/// </summary>
public static class SparseScanner
{
    public const int SectorSize = 512;

    private static bool SectorIsZero(ReadOnlySpan<byte> buf, int sector) =>
        !buf.Slice(sector * SectorSize, SectorSize).ContainsAnyExcept((byte)0);

    /// <summary>
    /// Length in sectors of the run at the start of <paramref name="buf"/> (n sectors) that is all-data or
    /// all-zero; returns true for data. <paramref name="sectorNum"/> is the absolute sector of buf[0].
    /// </summary>
    public static bool IsAllocatedSectors(ReadOnlySpan<byte> buf, int n, out int run, long sectorNum, int alignment)
    {
        if (n <= 0)
        {
            run = 0;
            return false;
        }
        bool isZero = SectorIsZero(buf, 0);
        int i = 1;
        // Scan whole runs quickly: find the first sector whose zero-ness differs.
        while (i < n && SectorIsZero(buf, i) == isZero)
            i++;
        if (i == n)
        {
            // The whole buffer is of one kind: qemu-img 7.2 returns it as it is, without nudging its end.
            run = i;
            return !isZero;
        }
        int tail = (int)((sectorNum + i) & (alignment - 1));
        if (tail != 0)
        {
            if (isZero && i <= tail)
                isZero = false; // a short zero run that does not reach an aligned boundary is written as data
            if (!isZero)
                i = Math.Min(i + alignment - tail, n); // align data ends up
            else
                i -= tail; // align zero ends down
        }
        run = i;
        return !isZero;
    }

    /// <summary>
    /// Like <see cref="IsAllocatedSectors"/>, but once the buffer starts with data, zero runs shorter than
    /// <paramref name="min"/> sectors are absorbed into the data run.
    /// </summary>
    public static bool IsAllocatedSectorsMin(ReadOnlySpan<byte> buf, int n, out int run, int min, long sectorNum, int alignment)
    {
        if (n < min) min = n;
        if (!IsAllocatedSectors(buf, n, out run, sectorNum, alignment))
            return false;

        int used = run, checkedCount = run;
        int pos = run;
        n -= run;
        sectorNum += run;
        while (n > 0)
        {
            bool data = IsAllocatedSectors(buf[(pos * SectorSize)..], n, out int r, sectorNum, alignment);
            pos += r;
            n -= r;
            sectorNum += r;
            checkedCount += r;
            if (data)
                used = checkedCount;
            else if (r >= min)
                break;
        }
        run = used;
        return true;
    }

    /// <summary>qemu's pow2floor.</summary>
    public static int Pow2Floor(int v) => v <= 0 ? 0 : 1 << (31 - int.LeadingZeroCount(v));
}
