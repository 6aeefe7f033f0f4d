using System.Buffers.Binary;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Qcow;

/// <summary>
/// qemu's qcow L2 cache: 16 tables, each slot with a hit count; a miss loads the table into the least used slot.
/// Tables are kept decoded (host-endian entries); <see cref="SetEntry"/> writes one entry through to the file, as
/// qemu does. Memory is bounded: at most 16 tables of at most 64 KiB.
/// </summary>
internal sealed class QcowL2Cache
{
    private const int Slots = 16;

    private readonly HostFile _file;
    private readonly int _entries;
    private readonly long[] _offsets = new long[Slots];
    private readonly uint[] _counts = new uint[Slots];
    private readonly ulong[]?[] _tables = new ulong[Slots][];

    public QcowL2Cache(HostFile file, int l2Bits)
    {
        _file = file;
        _entries = 1 << l2Bits;
    }

    /// <summary>Bytes of one L2 table on disk.</summary>
    public int TableBytes => _entries * sizeof(ulong);

    /// <summary>
    /// The table at <paramref name="l2Offset"/> (read on a miss). A table that does not lie wholly inside the file is
    /// refused: qemu would read the missing part as zeros, this engine reports the image as corrupt.
    /// </summary>
    public ulong[] Get(long l2Offset, long l1Index)
    {
        int slot = Find(l2Offset);
        if (slot >= 0)
        {
            Hit(slot);
            return _tables[slot]!;
        }
        long fileLength = _file.Length;
        if (l2Offset < 0 || l2Offset > fileLength - TableBytes)
            throw new ImageCorruptException(
                $"'{_file.Path}': L2 table at offset {(ulong)l2Offset} (L1 index {l1Index}) lies past the end of the file ({fileLength} bytes)");
        var raw = new byte[TableBytes];
        _file.Read(l2Offset, raw);
        var table = Victim(l2Offset);
        for (int i = 0; i < table.Length; i++)
            table[i] = BinaryPrimitives.ReadUInt64BigEndian(raw.AsSpan(i * sizeof(ulong)));
        return table;
    }

    /// <summary>Caches a table that has just been written to the file as zeros.</summary>
    public ulong[] AddZeroed(long l2Offset)
    {
        return Victim(l2Offset);
    }

    /// <summary>Writes entries [index, index+values.Length) of the cached table at <paramref name="l2Offset"/> to memory and file.</summary>
    public void SetEntries(long l2Offset, ulong[] table, int index, ReadOnlySpan<ulong> values)
    {
        var raw = new byte[values.Length * sizeof(ulong)];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteUInt64BigEndian(raw.AsSpan(i * sizeof(ulong)), values[i]);
        _file.Write(l2Offset + (long)index * sizeof(ulong), raw);
        values.CopyTo(table.AsSpan(index));
    }

    /// <summary>One entry; see <see cref="SetEntries"/>.</summary>
    public void SetEntry(long l2Offset, ulong[] table, int index, ulong value) =>
        SetEntries(l2Offset, table, index, [value]);

    /// <summary>Forgets every table (after make_empty).</summary>
    public void Clear()
    {
        Array.Clear(_offsets);
        Array.Clear(_counts);
    }

    private int Find(long l2Offset)
    {
        for (int i = 0; i < Slots; i++)
            if (_counts[i] != 0 && _offsets[i] == l2Offset)
                return i;
        return -1;
    }

    private void Hit(int slot)
    {
        if (++_counts[slot] == uint.MaxValue)
            for (int j = 0; j < Slots; j++)
                _counts[j] >>= 1;
    }

    /// <summary>
    /// The least used slot, now holding <paramref name="l2Offset"/> with one hit, with a fresh array: a table a caller
    /// still holds is never reused for another offset.
    /// </summary>
    private ulong[] Victim(long l2Offset)
    {
        int min = 0;
        for (int i = 1; i < Slots; i++)
            if (_counts[i] < _counts[min])
                min = i;
        _offsets[min] = l2Offset;
        _counts[min] = 1;
        return _tables[min] = new ulong[_entries];
    }
}
