namespace ImageBuild.Filesystems.Iso9660;

/// <summary>
/// The System Use entries of one directory record, split as SUSP 5.1 allows: what fits in the record stays there, the
/// rest goes to Continuation Areas of at most one logical block each, every part but the last ending with a CE entry
/// that points to the next. Positions of the areas are set once the layout is known.
/// </summary>
internal sealed class SystemUseArea
{
    public SystemUseArea(IReadOnlyList<byte[]> entries, int recordRoom)
    {
        int i = Take(entries, 0, recordRoom, Record);
        while (i < entries.Count)
        {
            var chunk = new List<byte[]>();
            i = Take(entries, i, IsoFields.BlockSize, chunk);
            Areas.Add(chunk);
        }
        AreaBlocks = new long[Areas.Count];
        AreaOffsets = new int[Areas.Count];
    }

    public List<byte[]> Record { get; } = [];
    public List<List<byte[]>> Areas { get; } = [];
    public long[] AreaBlocks { get; }
    public int[] AreaOffsets { get; }

    public int RecordLength => Record.Sum(e => e.Length) + (Areas.Count > 0 ? RockRidgeEntries.CeLength : 0);

    public int AreaLength(int i) => Areas[i].Sum(e => e.Length) + (i < Areas.Count - 1 ? RockRidgeEntries.CeLength : 0);

    /// <summary>The bytes in the record itself (with the CE to the first area).</summary>
    public byte[] RecordBytes() => Join(Record, Areas.Count > 0 ? 0 : -1);

    /// <summary>The bytes of continuation area <paramref name="i"/> (with the CE to the next one).</summary>
    public byte[] AreaBytes(int i) => Join(Areas[i], i + 1 < Areas.Count ? i + 1 : -1);

    private byte[] Join(List<byte[]> part, int next)
    {
        var all = new List<byte[]>(part);
        if (next >= 0) all.Add(RockRidgeEntries.Ce(AreaBlocks[next], AreaOffsets[next], AreaLength(next)));
        var b = new byte[all.Sum(e => e.Length)];
        int at = 0;
        foreach (var e in all) { e.CopyTo(b, at); at += e.Length; }
        return b;
    }

    private static int Take(IReadOnlyList<byte[]> entries, int from, int room, List<byte[]> into)
    {
        int rest = 0;
        for (int k = from; k < entries.Count; k++) rest += entries[k].Length;
        int used = 0, i = from;
        for (; i < entries.Count; i++)
        {
            if (used + rest <= room) { into.AddRange(entries.Skip(i)); return entries.Count; }
            if (used + entries[i].Length + RockRidgeEntries.CeLength > room) break;
            used += entries[i].Length; rest -= entries[i].Length;
            into.Add(entries[i]);
        }
        return i;
    }
}
