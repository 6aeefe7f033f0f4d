namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>
/// qemu's L2 cache of a sparse extent: 16 grain tables, each kept with a use count; a miss replaces the least used
/// one (the counts are halved when one would overflow). Memory stays at 16 tables of at most 512 entries.
/// </summary>
internal sealed class GrainTableCache
{
    /// <summary>qemu's L2_CACHE_SIZE.</summary>
    public const int Slots = 16;

    private readonly uint[][] _tables;
    private readonly uint[] _offsets = new uint[Slots];
    private readonly uint[] _counts = new uint[Slots];

    public GrainTableCache(int entriesPerTable)
    {
        _tables = new uint[Slots][];
        for (int i = 0; i < Slots; i++) _tables[i] = new uint[entriesPerTable];
    }

    /// <summary>The table at sector <paramref name="sector"/> (non-zero), loaded with <paramref name="load"/> on a miss.</summary>
    public uint[] Get(uint sector, Action<uint, uint[]> load)
    {
        for (int i = 0; i < Slots; i++)
        {
            if (_offsets[i] != sector) continue;
            if (++_counts[i] == uint.MaxValue)
                for (int j = 0; j < Slots; j++) _counts[j] >>= 1;
            return _tables[i];
        }
        int victim = 0;
        uint min = uint.MaxValue;
        for (int i = 0; i < Slots; i++)
        {
            if (_counts[i] < min)
            {
                min = _counts[i];
                victim = i;
            }
        }
        _offsets[victim] = 0; // a failed load leaves no stale table behind
        load(sector, _tables[victim]);
        _offsets[victim] = sector;
        _counts[victim] = 1;
        return _tables[victim];
    }

    /// <summary>Sets an entry of a cached table, if that table is cached (after it was written to the file).</summary>
    public void Update(uint sector, int index, uint value)
    {
        for (int i = 0; i < Slots; i++)
            if (_offsets[i] == sector) _tables[i][index] = value;
    }
}
