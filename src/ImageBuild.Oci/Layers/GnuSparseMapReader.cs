namespace ImageBuild.Oci.Layers;

/// <summary>
/// Parses the GNU sparse 1.0 map at the start of a sparse entry's data area without trusting it: decimal numbers
/// of at most 19 digits and at most 2^62, an entry count bounded by the entry's size and by
/// <see cref="SparseMap.MaxEntries"/>, extents in increasing order, not overlapping, inside the real size, and
/// the map's padded length plus the extents' lengths equal to the entry's stored size.
/// </summary>
internal static class GnuSparseMapReader
{
    private const long MaxNumber = 1L << 62;

    /// <summary>Reads the map and its padding; returns the extents (empty ones left out).</summary>
    public static SparseMap Read(TarInput input, long storedSize, long realSize, string source)
    {
        long consumed = 0;
        long count = Number(input, ref consumed, storedSize, source);
        if (count > storedSize / TarHeader.BlockSize + 2 || count > SparseMap.MaxEntries)
            throw new InvalidDataException($"{source}: the sparse map claims {count} extents, more than the entry can hold");
        var map = new SparseMap();
        long previousEnd = 0;
        for (long i = 0; i < count; i++)
        {
            long offset = Number(input, ref consumed, storedSize, source);
            long length = Number(input, ref consumed, storedSize, source);
            if (offset < previousEnd)
                throw new InvalidDataException($"{source}: the sparse map's extents are not in order or overlap (offset {offset})");
            if (length > realSize || offset > realSize - length)
                throw new InvalidDataException($"{source}: a sparse map extent ({offset}+{length}) lies outside the file's {realSize} bytes");
            previousEnd = offset + length;
            if (length > 0) map.TryAdd(new DataExtent(offset, length));
        }
        long padded = (consumed + TarHeader.BlockSize - 1) / TarHeader.BlockSize * TarHeader.BlockSize;
        if (padded > storedSize || storedSize - padded != map.DataBytes)
            throw new InvalidDataException($"{source}: the sparse map's extents do not add up to the entry's stored size");
        input.Skip(padded - consumed);
        return map;
    }

    private static long Number(TarInput input, ref long consumed, long storedSize, string source)
    {
        long value = 0;
        int digits = 0;
        while (true)
        {
            if (consumed >= storedSize) throw new InvalidDataException($"{source}: the sparse map runs past the entry's data");
            byte b = input.ReadByte();
            consumed++;
            if (b == '\n') break;
            if (b is < (byte)'0' or > (byte)'9' || ++digits > 19)
                throw new InvalidDataException($"{source}: the sparse map holds something other than decimal numbers");
            if (value > MaxNumber / 10) throw new InvalidDataException($"{source}: a sparse map number is larger than 2^62");
            value = value * 10 + (b - '0');
            if (value > MaxNumber) throw new InvalidDataException($"{source}: a sparse map number is larger than 2^62");
        }
        if (digits == 0) throw new InvalidDataException($"{source}: the sparse map has an empty line");
        return value;
    }
}
