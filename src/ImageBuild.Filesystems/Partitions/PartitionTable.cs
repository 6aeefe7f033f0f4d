using System.IO.Hashing;

namespace ImageBuild.Filesystems.Partitions;

/// <summary>
/// Plans and writes partition tables with 512-byte sectors. GPT follows UEFI 2.x chapter 5: a protective MBR (one
/// 0xEE record covering the disk), the primary header at LBA 1 with 128 entries of 128 bytes at LBA 2–33, the backup
/// entries at LBA n−33 and the backup header at the last LBA n−1, so the usable LBAs are 34 … n−34. MBR is the DOS
/// table of four primary records. Partitions start at multiples of the alignment (1 MiB by default) and follow each
/// other in the order given.
/// </summary>
public static class PartitionTable
{
    private const int Sector = MasterBootRecord.SectorSize;
    private const int GptEntries = 128;
    private const int GptEntrySectors = GptEntries * GptPartitionEntry.Size / Sector; // 32

    /// <summary>
    /// Places <paramref name="specs"/> in order: each start aligned up; fixed sizes rounded up to a sector; percentages
    /// of the usable space rounded down to the alignment; the one size-less partition takes what is left (up to the last
    /// usable sector when it is last, else a multiple of the alignment). GUIDs derive from the seed (see
    /// <see cref="PartitionLayoutOptions.Seed"/>). <see cref="ArgumentException"/>, one line naming the partition, for
    /// an unknown type, too many partitions (128 GPT, 4 MBR), two size-less ones, both Size and Percent, a GPT name over
    /// 36 UTF-16 units, a name or attributes on MBR, or partitions that do not fit the disk.
    /// </summary>
    public static PartitionLayout Plan(IReadOnlyList<PartitionSpec> specs, PartitionLayoutOptions options)
    {
        ArgumentNullException.ThrowIfNull(specs);
        ArgumentNullException.ThrowIfNull(options);
        bool gpt = options.Table == TableType.Gpt;
        if (options.DiskSize <= 0 || options.DiskSize % Sector != 0)
            throw new ArgumentException($"disk size {options.DiskSize}: a positive multiple of {Sector} bytes is needed");
        if (options.Alignment <= 0 || options.Alignment % Sector != 0)
            throw new ArgumentException($"alignment {options.Alignment}: a positive multiple of {Sector} bytes is needed");
        int max = gpt ? GptEntries : 4;
        if (specs.Count > max)
            throw new ArgumentException($"{specs.Count} partitions: a{(gpt ? " GPT" : "n MBR")} table holds at most {max}");
        if (specs.Count(s => s.Size is null && s.Percent is null) > 1)
            throw new ArgumentException("more than one partition without Size or Percent: only one can take the rest of the disk");

        long sectors = options.DiskSize / Sector;
        long align = options.Alignment / Sector;
        long firstUsable = gpt ? 2 + GptEntrySectors : 1;
        long usableEnd = gpt ? sectors - 1 - GptEntrySectors : sectors; // exclusive
        long firstStart = AlignUp(firstUsable, align);
        long usable = usableEnd - firstStart;
        if (usable <= 0)
            throw new ArgumentException($"disk size {options.DiskSize}: too small for a{(gpt ? " GPT" : "n MBR")} table and one aligned partition");

        var types = new (Guid Gpt, byte Mbr)[specs.Count];
        var fixedSectors = new long?[specs.Count];
        for (int i = 0; i < specs.Count; i++)
        {
            var s = specs[i] ?? throw new ArgumentException($"partition {i + 1}: null");
            string what = $"partition {i + 1} ({s.Type})";
            if (!PartitionTypes.TryResolve(s.Type, options.Table, out types[i].Gpt, out types[i].Mbr))
                throw new ArgumentException($"{what}: unknown {(gpt ? "GPT" : "MBR")} partition type '{s.Type}'");
            if (gpt && s.Name is { Length: > GptPartitionEntry.NameUnits })
                throw new ArgumentException($"{what}: name '{s.Name}' is longer than {GptPartitionEntry.NameUnits} UTF-16 units");
            if (!gpt && (s.Name is not null || s.Attributes != 0))
                throw new ArgumentException($"{what}: an MBR partition has no name or attribute bits");
            if (s.Size is not null && s.Percent is not null)
                throw new ArgumentException($"{what}: give Size or Percent, not both");
            if (s.Size is { } bytes)
            {
                if (bytes <= 0) throw new ArgumentException($"{what}: size {bytes} is not positive");
                fixedSectors[i] = (bytes + Sector - 1) / Sector;
            }
            else if (s.Percent is { } pct)
            {
                if (!(pct > 0 && pct <= 100)) throw new ArgumentException($"{what}: percent {pct} is not in (0, 100]");
                long n = (long)(usable * pct / 100) / align * align;
                if (n <= 0) throw new ArgumentException($"{what}: {pct}% of the usable space is less than one alignment unit");
                fixedSectors[i] = n;
            }
        }

        int rest = Array.FindIndex(fixedSectors, f => f is null);
        long end = Place(fixedSectors, firstStart, align, rest, 0, out _);
        long restSectors = 0;
        if (rest >= 0)
        {
            long slack = usableEnd - end;
            restSectors = rest == specs.Count - 1 ? slack : slack / align * align;
            if (restSectors <= 0)
                throw new ArgumentException($"partition {rest + 1} ({specs[rest].Type}): no space is left for it on a {options.DiskSize}-byte disk");
        }
        end = Place(fixedSectors, firstStart, align, rest, restSectors, out var starts);
        if (end > usableEnd)
            throw new ArgumentException($"partitions need {(end - firstStart) * Sector} bytes from offset {firstStart * Sector}; the {options.DiskSize}-byte disk has {usable * Sector} usable");

        byte[] seed = PartitionGuids.SeedBytes(options.Seed);
        var placed = new List<PlacedPartition>(specs.Count);
        for (int i = 0; i < specs.Count; i++)
        {
            long size = i == rest ? restSectors : fixedSectors[i]!.Value;
            if (!gpt && (starts[i] > uint.MaxValue || size > uint.MaxValue))
                throw new ArgumentException($"partition {i + 1} ({specs[i].Type}): past the 2 TiB an MBR can address");
            int before = types.Take(i).Count(t => t.Gpt == types[i].Gpt);
            var partGuid = gpt ? PartitionGuids.Partition(seed, types[i].Gpt, before) : Guid.Empty;
            placed.Add(new PlacedPartition(i + 1, specs[i], starts[i] * Sector, size * Sector, types[i].Gpt, partGuid, types[i].Mbr));
        }
        return new PartitionLayout(options.Table, PartitionGuids.Disk(seed), placed, options.DiskSize);
    }

    /// <summary>
    /// Writes the tables of <paramref name="layout"/> into <paramref name="disk"/> (a file at least
    /// <see cref="PartitionLayout.DiskSize"/> bytes long), touching nothing else: on GPT sectors 0–33 and the last 33,
    /// on MBR sector 0. The backup GPT is written first and sector 0 last, so a failure leaves no valid-looking table
    /// unless the file held one before; the caller deletes the file when this throws.
    /// </summary>
    public static void Write(FileStream disk, PartitionLayout layout)
    {
        ArgumentNullException.ThrowIfNull(disk);
        ArgumentNullException.ThrowIfNull(layout);
        if (disk.Length < layout.DiskSize)
            throw new IOException($"'{disk.Name}': {disk.Length} bytes, smaller than the {layout.DiskSize}-byte disk of the layout");
        long sectors = layout.DiskSize / Sector;
        var handle = disk.SafeFileHandle;
        if (layout.Table == TableType.Mbr)
        {
            var records = layout.Partitions.Select(p =>
                new MbrPartitionRecord(p.Spec.Bootable, p.MbrType, checked((uint)(p.Offset / Sector)), checked((uint)(p.Size / Sector)))).ToList();
            byte[] mbr = new byte[Sector];
            new MasterBootRecord(DiskSignature(layout.DiskGuid), records).WriteTo(mbr);
            RandomAccess.Write(handle, mbr, 0);
            disk.Flush(flushToDisk: false);
            return;
        }

        byte[] entries = new byte[GptEntrySectors * Sector];
        foreach (var p in layout.Partitions)
        {
            ulong attributes = p.Spec.Attributes | (p.Spec.Bootable ? 1UL << 2 : 0);
            new GptPartitionEntry(p.TypeGuid, p.PartitionGuid, (ulong)(p.Offset / Sector), (ulong)((p.Offset + p.Size) / Sector - 1),
                attributes, p.Spec.Name ?? "").WriteTo(entries.AsSpan((p.Number - 1) * GptPartitionEntry.Size, GptPartitionEntry.Size));
        }
        uint entriesCrc = Crc32.HashToUInt32(entries);
        ulong last = (ulong)sectors - 1;
        ulong firstUsable = 2 + GptEntrySectors, lastUsable = last - 1 - GptEntrySectors;
        byte[] sector = new byte[Sector];

        new GptHeader(last, 1, firstUsable, lastUsable, layout.DiskGuid, last - GptEntrySectors, GptEntries, entriesCrc).WriteTo(sector);
        RandomAccess.Write(handle, entries, (long)(last - GptEntrySectors) * Sector);
        RandomAccess.Write(handle, sector, (long)last * Sector);

        new GptHeader(1, last, firstUsable, lastUsable, layout.DiskGuid, 2, GptEntries, entriesCrc).WriteTo(sector);
        RandomAccess.Write(handle, entries, 2L * Sector);
        RandomAccess.Write(handle, sector, 1L * Sector);

        uint protectiveSize = (uint)Math.Min(sectors - 1, uint.MaxValue);
        new MasterBootRecord(0, [new MbrPartitionRecord(false, 0xEE, 1, protectiveSize)]).WriteTo(sector);
        RandomAccess.Write(handle, sector, 0);
        disk.Flush(flushToDisk: false);
    }

    private static uint DiskSignature(Guid diskGuid)
    {
        Span<byte> b = stackalloc byte[16];
        diskGuid.TryWriteBytes(b);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    // Lays the partitions out from `first`; returns the exclusive end sector of the last one.
    private static long Place(long?[] sizes, long first, long align, int rest, long restSectors, out long[] starts)
    {
        starts = new long[sizes.Length];
        long cursor = first;
        for (int i = 0; i < sizes.Length; i++)
        {
            starts[i] = AlignUp(cursor, align);
            cursor = starts[i] + (i == rest ? restSectors : sizes[i]!.Value);
        }
        return cursor;
    }

    private static long AlignUp(long value, long align) => (value + align - 1) / align * align;
}
