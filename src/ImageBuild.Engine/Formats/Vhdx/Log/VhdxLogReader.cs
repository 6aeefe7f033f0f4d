using System.Buffers.Binary;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vhdx.Log;

/// <summary>
/// Finds and validates the log's active sequence (VHDX 1.0 §2.3.3) and turns it into the updates replay writes.
/// <para>
/// The scan follows qemu's vhdx_log_search: from the log's start, each 4 KiB sector is tried as an entry; a valid
/// entry (signature "loge", EntryLength a non-zero multiple of 4 KiB within the log, SequenceNumber &gt; 0, LogGuid
/// equal to the header's, room for its descriptors, checksum over the whole entry) starts a run that goes on while
/// the next entry is valid and numbered one more; a sector that is no entry header is stepped over, an entry whose
/// checksum fails is skipped whole. The scan stops once it has gone round the circular log. The run whose last entry
/// has the highest sequence number wins. Where qemu differs — it compares the runs' first sequence numbers and lets
/// a run's second entry carry any number — the spec is followed; on logs written by Hyper-V, qemu and this code
/// alike the same run wins.
/// </para>
/// <para>
/// The winning run is replayed from the entry its head's Tail names (§2.3.1.1: the sequence's first entry; entries
/// before it were applied already); when the Tail names no entry of the run, the whole run is replayed as qemu does.
/// </para>
/// <para>
/// A log is corrupt — one <see cref="ImageCorruptException"/> naming the file and the log offset, before anything is
/// written — when an entry whose checksum holds has a descriptor with a wrong sequence number, an unknown signature,
/// an offset or length not a multiple of 4 KiB or past any sane file (qemu: "Invalid argument"), more data
/// descriptors than data sectors, a data sector without its signature or with another sequence number, an update
/// beyond the entry's LastFileOffset, or a FlushedFileOffset beyond the end of the file (truncated file; qemu's
/// vhdx_log_flush check); and when the region itself is not where a header may put a log.
/// </para>
/// <para>
/// Other differences from qemu 7.2, all on logs no correct writer makes or on qemu bugs: an entry whose checksum
/// fails is skipped even when its descriptors are bad too (qemu fails the open on the descriptors first); data
/// sectors must carry their "data" signature (qemu checks only their sequence number); nothing is written before the
/// whole sequence is checked (qemu fails midway, some updates written); FlushedFileOffset is checked for the replayed
/// entries only (qemu: for every entry of the run); a LastFileOffset past the end of the file extends it even when it
/// is a MiB multiple (qemu only extends to an unaligned one, rounded up), and replay never shortens a file (qemu's
/// truncate to LastFileOffset could cut off an update written past it); an entry as long as the whole log ends the
/// scan (qemu's search never ends).
/// </para>
/// </summary>
internal static class VhdxLogReader
{
    /// <summary>Updates written in one piece at most (contiguous descriptors are merged up to this).</summary>
    private const int MaxChunk = 1 << 20;

    /// <summary>
    /// Reads the active sequence of the log in <paramref name="region"/> whose entries carry
    /// <paramref name="logGuid"/> (the current header's LogGuid). A zero GUID means the log is empty (§2.2.2):
    /// <see cref="VhdxLogReplay.Empty"/>, without reading.
    /// </summary>
    public static VhdxLogReplay Read(HostFile file, string filename, VhdxLogRegion region, Guid logGuid)
    {
        CheckRegion(filename, region);
        if (logGuid == Guid.Empty)
            return VhdxLogReplay.Empty;
        var log = new VhdxLogCursor(file, region);
        List<LocatedEntry>? sequence = FindActiveSequence(log, filename, region, logGuid);
        if (sequence is null)
            return VhdxLogReplay.Empty;
        return Build(file, filename, log, FromTail(sequence));
    }

    /// <summary>
    /// The region must be where a header may place a log (§2.2.2: LogOffset and LogLength multiples of 1 MiB, the
    /// log after the first MiB, LogLength a 32-bit field) and must not reach past any sane file.
    /// </summary>
    public static void CheckRegion(string filename, VhdxLogRegion region)
    {
        if (region.Offset < VhdxLogLayout.MiB || region.Offset % VhdxLogLayout.MiB != 0 ||
            region.Length <= 0 || region.Length % VhdxLogLayout.MiB != 0 || region.Length > VhdxLogLayout.MaxLogLength ||
            region.Offset > VhdxLogLayout.MaxFileOffset - region.Length)
            throw new ImageCorruptException(
                $"'{filename}': VHDX log region at offset {region.Offset} ({region.Length} bytes) is invalid: " +
                "offset and length must be non-zero multiples of 1 MiB after the first MiB");
    }

    /// <summary>An entry found in the log: the sector it starts at and its header.</summary>
    internal readonly record struct LocatedEntry(int Sector, VhdxLogEntryHeader Header);

    private enum Outcome { NotAnEntry, BadChecksum, Valid }

    private static List<LocatedEntry>? FindActiveSequence(VhdxLogCursor log, string filename, VhdxLogRegion region, Guid logGuid)
    {
        int n = log.SectorCount;
        List<LocatedEntry>? best = null;
        int position = 0;
        long travelled = 0; // sectors stepped over since the start: the scan goes round the log once
        while (travelled < n)
        {
            int start = position;
            Outcome outcome = Validate(log, filename, region, logGuid, start, expectedSequence: 0, out var header);
            long step = Step(outcome, header);
            travelled += step;
            position = log.Advance(start, step);
            if (outcome != Outcome.Valid)
                continue;

            var run = new List<LocatedEntry> { new(start, header) };
            long sectors = header.TotalSectors;
            while (sectors < n)
            {
                int at = position;
                ulong next = run[^1].Header.SequenceNumber + 1;
                outcome = next == 0 ? Outcome.NotAnEntry
                    : Validate(log, filename, region, logGuid, at, next, out header);
                if (outcome != Outcome.Valid || sectors + header.TotalSectors > n)
                    break; // the entry that ended the run is looked at again as the start of another
                step = Step(outcome, header);
                travelled += step;
                sectors += step;
                position = log.Advance(at, step);
                run.Add(new LocatedEntry(at, header));
            }
            if (best is null || run[^1].Header.SequenceNumber > best[^1].Header.SequenceNumber ||
                (run[^1].Header.SequenceNumber == best[^1].Header.SequenceNumber && run.Count > best.Count))
                best = run;
        }
        return best;
    }

    private static long Step(Outcome outcome, in VhdxLogEntryHeader header) =>
        outcome == Outcome.NotAnEntry ? 1 : header.TotalSectors;

    /// <summary>
    /// The run from the entry its head's Tail names (§2.3.1.1); the whole run when the Tail names none of its entries.
    /// </summary>
    private static List<LocatedEntry> FromTail(List<LocatedEntry> run)
    {
        uint tail = run[^1].Header.Tail;
        for (int i = 0; i < run.Count; i++)
            if (VhdxLogCursor.LogOffset(run[i].Sector) == tail)
                return run.GetRange(i, run.Count - i);
        return run;
    }

    /// <summary>
    /// Whether the entry at <paramref name="sector"/> is valid (and, when <paramref name="expectedSequence"/> is not
    /// 0, numbered so). Throws when an entry whose header and checksum hold has descriptors no writer makes.
    /// </summary>
    private static Outcome Validate(VhdxLogCursor log, string filename, VhdxLogRegion region, Guid logGuid,
        int sector, ulong expectedSequence, out VhdxLogEntryHeader header)
    {
        header = default;
        ReadOnlySpan<byte> first = log.Sector(sector);
        if (!VhdxLogEntryHeader.HasSignature(first))
            return Outcome.NotAnEntry;
        header = VhdxLogEntryHeader.Parse(first);
        if (header.EntryLength == 0 || header.EntryLength % VhdxLogLayout.SectorSize != 0 ||
            header.EntryLength > region.Length || header.SequenceNumber == 0 || header.LogGuid != logGuid ||
            header.DescriptorSectors > header.TotalSectors ||
            (expectedSequence != 0 && header.SequenceNumber != expectedSequence))
            return Outcome.NotAnEntry;

        long descriptorSectors = header.DescriptorSectors;
        long total = header.TotalSectors;
        var crc = VhdxLogCrc.Start();
        var check = new DescriptorCheck(header);
        crc.AddHeaderSector(first);
        check.Sector(first, 0);
        for (long k = 1; k < total; k++)
        {
            ReadOnlySpan<byte> s = log.Sector(log.Advance(sector, k));
            crc.Add(s);
            if (k < descriptorSectors)
                check.Sector(s, k);
        }
        if (crc.Value != header.Checksum)
            return Outcome.BadChecksum;

        long at = VhdxLogCursor.LogOffset(sector);
        if (check.Error is { } error)
            throw Corrupt(filename, at, error);
        if (check.DataDescriptors > total - descriptorSectors)
            throw Corrupt(filename, at,
                $"{check.DataDescriptors} data descriptors but room for {total - descriptorSectors} data sectors");
        return Outcome.Valid;
    }

    /// <summary>qemu's vhdx_log_desc_is_valid over the descriptors of one entry, plus bounds on offsets.</summary>
    private struct DescriptorCheck(VhdxLogEntryHeader header)
    {
        private uint _index;
        public string? Error;
        public long DataDescriptors;

        public void Sector(ReadOnlySpan<byte> sector, long indexInEntry)
        {
            int slot = indexInEntry == 0 ? 2 : 0;
            for (; slot < VhdxLogLayout.DescriptorsPerSector && _index < header.DescriptorCount; slot++, _index++)
            {
                if (Error is not null)
                    return;
                Error = Describe(sector.Slice(slot * VhdxLogLayout.DescriptorSize, VhdxLogLayout.DescriptorSize));
            }
        }

        private string? Describe(ReadOnlySpan<byte> d)
        {
            uint signature = BinaryPrimitives.ReadUInt32LittleEndian(d);
            ulong offset, length, sequence;
            if (signature == VhdxLogLayout.ZeroSignature)
            {
                var zero = VhdxLogZeroDescriptor.Parse(d);
                (offset, length, sequence) = (zero.FileOffset, zero.ZeroLength, zero.SequenceNumber);
            }
            else if (signature == VhdxLogLayout.DataDescriptorSignature)
            {
                var data = VhdxLogDataDescriptor.Parse(d);
                (offset, length, sequence) = (data.FileOffset, VhdxLogLayout.SectorSize, data.SequenceNumber);
                DataDescriptors++;
            }
            else
                return $"descriptor {_index} has an unknown signature 0x{signature:x8}";
            if (sequence != header.SequenceNumber)
                return $"descriptor {_index} has sequence number {sequence}, the entry {header.SequenceNumber}";
            if (offset % VhdxLogLayout.SectorSize != 0 || length % VhdxLogLayout.SectorSize != 0)
                return $"descriptor {_index} updates {length} bytes at file offset {offset}, not in 4 KiB sectors";
            if (offset > VhdxLogLayout.MaxFileOffset || length > VhdxLogLayout.MaxFileOffset - offset)
                return $"descriptor {_index} updates {length} bytes at file offset {offset}, past any VHDX file";
            return null;
        }
    }

    /// <summary>
    /// The updates of <paramref name="sequence"/> in replay order, checked as qemu's vhdx_log_flush checks them while
    /// it replays (FlushedFileOffset against the file as replay has grown it, data sectors against their
    /// descriptors), but before anything is written.
    /// </summary>
    private static VhdxLogReplay Build(HostFile file, string filename, VhdxLogCursor log, List<LocatedEntry> sequence)
    {
        var writes = new List<VhdxLogWrite>();
        var pending = new PendingWrite(writes);
        long length = file.Length;
        long minimumLength = 0;
        byte[] descriptors = new byte[VhdxLogLayout.SectorSize];
        byte[] content = new byte[VhdxLogLayout.SectorSize];
        foreach (var (sector, header) in sequence)
        {
            long at = VhdxLogCursor.LogOffset(sector);
            if (header.FlushedFileOffset > (ulong)length)
                throw Corrupt(filename, at,
                    $"the entry was written when the file had {header.FlushedFileOffset} bytes, it has {length} (truncated file)");
            if (header.LastFileOffset > VhdxLogLayout.MaxFileOffset)
                throw Corrupt(filename, at, $"LastFileOffset {header.LastFileOffset} is past any VHDX file");
            long last = (long)header.LastFileOffset;
            long lengthBefore = length;
            long limit = Math.Max(lengthBefore, VhdxLogLayout.AlignUpMiB(last));

            long descriptorSectors = header.DescriptorSectors;
            long loadedSector = -1;
            long dataIndex = 0;
            for (uint i = 0; i < header.DescriptorCount; i++)
            {
                long slot = i + 2L;
                long descriptorSector = slot / VhdxLogLayout.DescriptorsPerSector;
                if (descriptorSector != loadedSector)
                {
                    log.Sector(log.Advance(sector, descriptorSector)).CopyTo(descriptors);
                    loadedSector = descriptorSector;
                }
                ReadOnlySpan<byte> d = descriptors.AsSpan(
                    (int)(slot % VhdxLogLayout.DescriptorsPerSector) * VhdxLogLayout.DescriptorSize, VhdxLogLayout.DescriptorSize);
                long offset, count;
                bool zero = BinaryPrimitives.ReadUInt32LittleEndian(d) == VhdxLogLayout.ZeroSignature;
                if (zero)
                {
                    var z = VhdxLogZeroDescriptor.Parse(d);
                    (offset, count) = ((long)z.FileOffset, (long)z.ZeroLength);
                }
                else
                {
                    var desc = VhdxLogDataDescriptor.Parse(d);
                    long dataSector = descriptorSectors + dataIndex++;
                    ReadOnlySpan<byte> data = log.Sector(log.Advance(sector, dataSector));
                    long dataAt = VhdxLogCursor.LogOffset(log.Advance(sector, dataSector));
                    if (!VhdxLogDataSector.HasSignature(data))
                        throw Corrupt(filename, dataAt, $"data sector of descriptor {i} has no \"data\" signature");
                    ulong dataSequence = VhdxLogDataSector.SequenceNumber(data);
                    if (dataSequence != desc.SequenceNumber)
                        throw Corrupt(filename, dataAt,
                            $"data sector of descriptor {i} has sequence number {dataSequence}, its descriptor {desc.SequenceNumber}");
                    VhdxLogDataSector.Restore(desc, data, content);
                    (offset, count) = ((long)desc.FileOffset, VhdxLogLayout.SectorSize);
                }
                if (count == 0)
                    continue;
                if (offset + count > limit)
                    throw Corrupt(filename, at,
                        $"descriptor {i} updates file offset {offset}, past the entry's LastFileOffset {last} and the file's end {lengthBefore}");
                if (zero)
                    pending.AddZeros(offset, count);
                else
                    pending.AddData(offset, content);
                if (pending.HeldBytes > VhdxLogLayout.MaxReplayBytes || writes.Count >= VhdxLogLayout.MaxReplayWrites)
                    throw Corrupt(filename, at,
                        $"the active sequence holds more than {VhdxLogLayout.MaxReplayBytes >> 20} MiB or {VhdxLogLayout.MaxReplayWrites} updates");
                length = Math.Max(length, offset + count);
            }
            if (lengthBefore < last)
            {
                long target = VhdxLogLayout.AlignUpMiB(last);
                minimumLength = Math.Max(minimumLength, target);
                length = Math.Max(length, target);
            }
        }
        pending.Flush();
        VhdxLogEntryHeader head = sequence[^1].Header;
        return new VhdxLogReplay(writes, (long)head.FlushedFileOffset, (long)head.LastFileOffset)
        {
            EntryCount = sequence.Count,
            SequenceNumber = head.SequenceNumber,
            MinimumLength = minimumLength,
        };
    }

    private static ImageCorruptException Corrupt(string filename, long logOffset, string what) =>
        new($"'{filename}': VHDX log is corrupt at log offset {logOffset}: {what}");

    /// <summary>Merges consecutive updates of one kind over contiguous file ranges (order kept: later ones still win).</summary>
    private sealed class PendingWrite(List<VhdxLogWrite> writes)
    {
        private readonly byte[] _buffer = new byte[MaxChunk];
        private long _offset;
        private long _length;
        private bool _zero;

        public long HeldBytes { get; private set; }

        public void AddZeros(long offset, long length)
        {
            if (!(_length > 0 && _zero && offset == _offset + _length))
            {
                Flush();
                (_offset, _zero) = (offset, true);
            }
            _length += length;
        }

        public void AddData(long offset, ReadOnlySpan<byte> sector)
        {
            if (!(_length > 0 && !_zero && offset == _offset + _length && _length + sector.Length <= MaxChunk))
            {
                Flush();
                (_offset, _zero) = (offset, false);
            }
            sector.CopyTo(_buffer.AsSpan((int)_length));
            _length += sector.Length;
            HeldBytes += sector.Length;
        }

        public void Flush()
        {
            if (_length == 0)
                return;
            writes.Add(_zero
                ? new VhdxLogWrite(_offset, _length, ReadOnlyMemory<byte>.Empty)
                : new VhdxLogWrite(_offset, _length, _buffer.AsSpan(0, (int)_length).ToArray()));
            _length = 0;
        }
    }
}
