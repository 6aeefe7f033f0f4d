using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vhdx.Log;

/// <summary>
/// Appends entries to the circular log as qemu's vhdx_log_write does (VHDX 1.0 §2.3.1): a header sector, the
/// descriptors (126 in the header sector, 128 in each further one), then a data sector per 4 KiB of data; one
/// sequence number per entry, counting up from <c>firstSequence</c> (0 counts as 1, as in qemu); the checksum
/// over the whole entry; the entry wraps at the end of the log; one sector always stays free so a full log never
/// looks empty.
/// <para>
/// The protocol around it is the driver's, as in qemu's vhdx_log_write_and_flush: set the current header's LogGuid
/// (qemu takes a fresh GUID for every entry: set <see cref="LogGuid"/> to the same value), <see cref="Write"/> the
/// entry (it flushes the file before, so data the update points to is durable first, and after), apply the returned
/// replay with <see cref="VhdxLogApplier"/>, then reset the header's LogGuid to zero. <see cref="Write"/> takes the
/// entries before it as applied: its entry starts a new sequence (its Tail names itself) and may use the whole log
/// but one sector. <see cref="Append"/> instead adds an entry to the sequence not yet applied (beyond qemu, which
/// always applies at once): the Tail names that sequence's first entry, and together they may not fill the log.
/// </para>
/// <para>
/// Data updates need not be 4 KiB aligned: as qemu, the partial sectors at either end are completed with what the
/// file holds there (and what earlier updates of the same entry put there). qemu 7.2.0 filled a partial last sector
/// from the wrong place ("block/vhdx: fix dynamic VHDX BAT corruption", in the 7.2 stable updates and 8.0; the
/// qemu-img the tests run has the fix: writing block 1 then block 0 of a 1 MiB-block image keeps BAT entry 1); this
/// writer merges as the fixed qemu does. Zero updates must be 4 KiB aligned (qemu writes none).
/// </para>
/// </summary>
internal sealed class VhdxLogWriter
{
    private readonly HostFile _file;
    private readonly VhdxLogRegion _region;
    private readonly int _sectorCount;
    private int _position;       // sector the next entry starts at
    private int _tail;           // sector of the first entry of the sequence being written
    private long _pendingSectors; // sectors of the entries not yet applied

    /// <param name="file">The VHDX file, open for writing.</param>
    /// <param name="region">The log (current header's LogOffset/LogLength); checked as the reader checks it.</param>
    /// <param name="logGuid">LogGuid the entries carry (the current header's); see <see cref="LogGuid"/>.</param>
    /// <param name="firstSequence">Sequence number of the first entry (after a replay, its head's plus one; else 0 or 1).</param>
    public VhdxLogWriter(HostFile file, VhdxLogRegion region, Guid logGuid, ulong firstSequence)
    {
        VhdxLogReader.CheckRegion(file.Path, region);
        _file = file;
        _region = region;
        _sectorCount = (int)(region.Length / VhdxLogLayout.SectorSize);
        LogGuid = logGuid;
        NextSequence = firstSequence == 0 ? 1 : firstSequence;
    }

    /// <summary>
    /// The LogGuid the next entry carries: must equal the current header's. qemu sets a new one in the header before
    /// each entry (its log is always empty between entries), and so may the driver, then set it here.
    /// </summary>
    public Guid LogGuid { get; set; }

    /// <summary>The sequence number the next entry gets.</summary>
    public ulong NextSequence { get; private set; }

    /// <summary>Log offset where the next entry starts (qemu starts at 0 on every open and goes round from there).</summary>
    public long Position => VhdxLogCursor.LogOffset(_position);

    /// <summary>
    /// Writes one entry holding <paramref name="writes"/> (in order: later ones win), recording
    /// <paramref name="flushedFileOffset"/> (the file's size now) and <paramref name="lastFileOffset"/> (the size
    /// every structure fits in; replay extends the file to it), and flushes. Returns the entry as a replay, the
    /// 4 KiB sectors it carries, for <see cref="VhdxLogApplier.Apply"/>.
    /// </summary>
    /// <returns>
    /// API change from the contract (was void): the replay of this entry, so the driver applies exactly what the log
    /// holds — unaligned updates come back merged into whole sectors.
    /// </returns>
    public VhdxLogReplay Write(IReadOnlyList<VhdxLogWrite> writes, long flushedFileOffset, long lastFileOffset)
    {
        _tail = _position;
        _pendingSectors = 0;
        return Append(writes, flushedFileOffset, lastFileOffset);
    }

    /// <summary>
    /// As <see cref="Write"/>, but the entries written since the last <see cref="Write"/> are not applied yet: the
    /// new entry continues their sequence (same Tail) and must fit the log beside them.
    /// </summary>
    public VhdxLogReplay Append(IReadOnlyList<VhdxLogWrite> writes, long flushedFileOffset, long lastFileOffset)
    {
        ArgumentNullException.ThrowIfNull(writes);
        if (flushedFileOffset < 0 || lastFileOffset < 0 || lastFileOffset > VhdxLogLayout.MaxFileOffset)
            throw new ArgumentOutOfRangeException(nameof(lastFileOffset), "file offsets must lie within a VHDX file");
        long limit = Math.Max(flushedFileOffset, VhdxLogLayout.AlignUpMiB(lastFileOffset));
        ulong sequence = NextSequence;

        var updates = Sectors(writes, limit);
        long dataSectors = 0;
        foreach (var u in updates)
            if (!u.IsZero) dataSectors++;
        uint descriptorCount = checked((uint)updates.Count);
        long descriptorSectors = VhdxLogLayout.DescriptorSectors(descriptorCount);
        long total = descriptorSectors + dataSectors;
        if (_pendingSectors + total > _sectorCount - 1 || total * VhdxLogLayout.SectorSize > uint.MaxValue)
            throw new ImageException(
                $"'{_file.Path}': a VHDX log entry of {total * VhdxLogLayout.SectorSize} bytes does not fit the " +
                $"{_region.Length}-byte log ({_pendingSectors * VhdxLogLayout.SectorSize} bytes not yet applied)");

        var header = new VhdxLogEntryHeader(0, (uint)(total * VhdxLogLayout.SectorSize), (uint)VhdxLogCursor.LogOffset(_tail),
            sequence, descriptorCount, LogGuid, (ulong)flushedFileOffset, (ulong)lastFileOffset);
        List<byte[]> entry = Layout(header, updates, descriptorSectors, dataSectors);
        var crc = VhdxLogCrc.Start();
        crc.AddHeaderSector(entry[0]);
        for (int i = 1; i < entry.Count; i++)
            crc.Add(entry[i]);
        (header with { Checksum = crc.Value }).Write(entry[0]);

        _file.Flush(); // the data the update points to is durable before the log names it
        WriteSectors(entry);
        _file.Flush();

        _position = (int)((_position + total) % _sectorCount);
        _pendingSectors += total;
        NextSequence = sequence == ulong.MaxValue ? 1 : sequence + 1;

        var replayWrites = new List<VhdxLogWrite>(updates.Count);
        foreach (var u in updates)
            replayWrites.Add(u.IsZero
                ? new VhdxLogWrite(u.FileOffset, u.Length, ReadOnlyMemory<byte>.Empty)
                : new VhdxLogWrite(u.FileOffset, VhdxLogLayout.SectorSize, u.Content));
        long length = _file.Length;
        return new VhdxLogReplay(replayWrites, flushedFileOffset, lastFileOffset)
        {
            EntryCount = 1,
            SequenceNumber = sequence,
            MinimumLength = length < lastFileOffset ? VhdxLogLayout.AlignUpMiB(lastFileOffset) : 0,
        };
    }

    /// <summary>One descriptor's worth: a 4 KiB data sector, or a run of zeros.</summary>
    private readonly record struct SectorUpdate(long FileOffset, long Length, byte[]? Content)
    {
        public bool IsZero => Content is null;
    }

    /// <summary>
    /// The writes as descriptors: data cut into 4 KiB sectors, the partial ones completed with the content the file
    /// would have at that point of the entry (the file overlaid with the entry's earlier updates).
    /// </summary>
    private List<SectorUpdate> Sectors(IReadOnlyList<VhdxLogWrite> writes, long limit)
    {
        const int S = VhdxLogLayout.SectorSize;
        var updates = new List<SectorUpdate>();
        var soFar = new List<VhdxLogWrite>();
        foreach (VhdxLogWrite w in writes)
        {
            if (w.FileOffset < 0 || w.Length < 0 || w.FileOffset > limit - w.Length)
                throw new ArgumentOutOfRangeException(nameof(writes),
                    $"update of {w.Length} bytes at {w.FileOffset} lies past the entry's LastFileOffset");
            if (w.Length == 0)
                continue;
            if (w.IsZero)
            {
                if (w.FileOffset % S != 0 || w.Length % S != 0)
                    throw new ArgumentException("zero updates must be 4 KiB aligned", nameof(writes));
                updates.Add(new SectorUpdate(w.FileOffset, w.Length, null));
                soFar.Add(w);
                continue;
            }
            if (w.Data.Length != w.Length)
                throw new ArgumentException("a data update carries exactly Length bytes", nameof(writes));
            var overlay = new VhdxLogOverlay(new VhdxLogReplay(soFar.ToArray(), 0, 0) { EntryCount = 1 });
            long first = w.FileOffset / S * S;
            long end = w.FileOffset + w.Length;
            for (long sector = first; sector < end; sector += S)
            {
                byte[] content = new byte[S];
                long from = Math.Max(sector, w.FileOffset), to = Math.Min(sector + S, end);
                if (to - from < S)
                    overlay.Read(_file, sector, content);
                w.Data.Span.Slice((int)(from - w.FileOffset), (int)(to - from)).CopyTo(content.AsSpan((int)(from - sector)));
                updates.Add(new SectorUpdate(sector, S, content));
            }
            soFar.Add(w);
        }
        return updates;
    }

    /// <summary>The entry as 4 KiB sectors: header and descriptors, then the data sectors in descriptor order.</summary>
    private static List<byte[]> Layout(VhdxLogEntryHeader header, List<SectorUpdate> updates, long descriptorSectors, long dataSectors)
    {
        const int S = VhdxLogLayout.SectorSize;
        var sectors = new List<byte[]>((int)(descriptorSectors + dataSectors));
        for (long i = 0; i < descriptorSectors + dataSectors; i++)
            sectors.Add(new byte[S]);
        header.Write(sectors[0]);
        int data = (int)descriptorSectors;
        for (int i = 0; i < updates.Count; i++)
        {
            long slot = i + 2L;
            Span<byte> d = sectors[(int)(slot / VhdxLogLayout.DescriptorsPerSector)].AsSpan(
                (int)(slot % VhdxLogLayout.DescriptorsPerSector) * VhdxLogLayout.DescriptorSize, VhdxLogLayout.DescriptorSize);
            SectorUpdate u = updates[i];
            if (u.Content is null)
                new VhdxLogZeroDescriptor((ulong)u.Length, (ulong)u.FileOffset, header.SequenceNumber).Write(d);
            else
            {
                VhdxLogDataDescriptor.For(u.Content, (ulong)u.FileOffset, header.SequenceNumber).Write(d);
                VhdxLogDataSector.Write(u.Content, header.SequenceNumber, sectors[data++]);
            }
        }
        return sectors;
    }

    /// <summary>Writes the entry at the current position, wrapping at the log's end, in runs of up to 1 MiB.</summary>
    private void WriteSectors(List<byte[]> sectors)
    {
        const int S = VhdxLogLayout.SectorSize;
        byte[] run = new byte[Math.Min(1 << 20, sectors.Count * S)];
        int index = 0;
        int position = _position;
        while (index < sectors.Count)
        {
            int count = Math.Min(Math.Min(sectors.Count - index, run.Length / S), _sectorCount - position);
            for (int i = 0; i < count; i++)
                sectors[index + i].CopyTo(run, i * S);
            _file.Write(_region.Offset + VhdxLogCursor.LogOffset(position), run.AsSpan(0, count * S));
            index += count;
            position = (position + count) % _sectorCount;
        }
    }
}
