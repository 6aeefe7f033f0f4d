using ImageBuild.Engine.Host;
using static ImageBuild.Engine.Formats.Vhdx.Log.VhdxLogEntryFormat;

namespace ImageBuild.Engine.Formats.Vhdx.Log;

/// <summary>
/// Placeholder until branch i16-vhdxlog lands. Finds the active sequence (VHDX 1.0 §2.3.3): the valid entry with the
/// highest sequence number is the head; its Tail names the sequence's first entry; every entry from there to the
/// head must be valid with consecutive sequence numbers. A log without a valid entry gives an empty replay.
/// </summary>
internal static class VhdxLogReader
{
    private sealed record Entry(long Position, ulong Sequence, uint Length, uint Tail, long Flushed, long Last, byte[] Bytes);

    public static VhdxLogReplay Read(HostFile file, string filename, VhdxLogRegion region, Guid logGuid)
    {
        if (region.Length <= 0 || region.Length % Sector != 0 || region.Length > uint.MaxValue)
            throw new ImageCorruptException($"'{filename}': log length {region.Length} is not a whole number of 4 KiB sectors");
        Entry? head = null;
        for (long pos = 0; pos < region.Length; pos += Sector)
        {
            var e = TryRead(file, region, logGuid, pos);
            if (e is not null && (head is null || e.Sequence > head.Sequence))
                head = e;
        }
        if (head is null)
            return new VhdxLogReplay([], 0, 0);
        var sequence = new List<Entry>();
        long at = head.Tail;
        // the walk from the tail can pass at most every sector of the log once
        for (long steps = 0; steps <= region.Length / Sector; steps++)
        {
            var e = TryRead(file, region, logGuid, at);
            if (e is null || (sequence.Count > 0 && e.Sequence != sequence[^1].Sequence + 1))
                break;
            sequence.Add(e);
            if (e.Position == head.Position)
                break;
            at = (at + e.Length) % region.Length;
        }
        if (sequence.Count == 0 || sequence[^1].Position != head.Position)
            sequence = [head];
        var writes = new List<VhdxLogWrite>();
        foreach (var e in sequence)
            AddWrites(e, writes);
        return new VhdxLogReplay(writes, head.Flushed, head.Last);
    }

    private static Entry? TryRead(HostFile file, VhdxLogRegion region, Guid logGuid, long pos)
    {
        var first = new byte[Sector];
        ReadCircular(file, region, pos, first);
        if (ReadU32(first, 0) != EntrySignature)
            return null;
        uint length = ReadU32(first, 8);
        uint count = ReadU32(first, 24);
        if (length == 0 || length % Sector != 0 || length > region.Length || new Guid(first.AsSpan(32, 16)) != logGuid)
            return null;
        if ((long)HeaderSectors((int)Math.Min(count, int.MaxValue / 64)) * Sector > length)
            return null;
        var bytes = new byte[length];
        ReadCircular(file, region, pos, bytes);
        if (!VhdxChecksum.IsValid(bytes, 4))
            return null;
        ulong seq = ReadU64(bytes, 16);
        int dataSectors = 0;
        for (int i = 0; i < count; i++)
        {
            int d = 64 + 32 * i;
            uint sig = ReadU32(bytes, d);
            if (sig == DataDescriptorSignature) dataSectors++;
            else if (sig != ZeroDescriptorSignature) return null;
            if (ReadU64(bytes, d + 24) != seq) return null;
        }
        if ((long)(HeaderSectors((int)count) + dataSectors) * Sector > length)
            return null;
        return new Entry(pos, seq, length, ReadU32(bytes, 12), (long)ReadU64(bytes, 48), (long)ReadU64(bytes, 56), bytes);
    }

    private static void AddWrites(Entry e, List<VhdxLogWrite> writes)
    {
        var b = e.Bytes;
        int count = (int)ReadU32(b, 24);
        int dataSector = HeaderSectors(count);
        for (int i = 0; i < count; i++)
        {
            int d = 64 + 32 * i;
            long fileOffset = (long)ReadU64(b, d + 16);
            if (ReadU32(b, d) == ZeroDescriptorSignature)
            {
                writes.Add(new VhdxLogWrite(fileOffset, (long)ReadU64(b, d + 8), ReadOnlyMemory<byte>.Empty));
                continue;
            }
            var sector = new byte[Sector];
            var ds = b.AsSpan(dataSector++ * Sector, Sector);
            b.AsSpan(d + 8, 8).CopyTo(sector);              // leading bytes
            ds.Slice(8, 4084).CopyTo(sector.AsSpan(8));
            b.AsSpan(d + 4, 4).CopyTo(sector.AsSpan(4092)); // trailing bytes
            writes.Add(new VhdxLogWrite(fileOffset, Sector, sector));
        }
    }

    private static void ReadCircular(HostFile file, VhdxLogRegion region, long pos, Span<byte> dest)
    {
        while (!dest.IsEmpty)
        {
            pos %= region.Length;
            int n = (int)Math.Min(dest.Length, region.Length - pos);
            file.Read(region.Offset + pos, dest[..n]);
            dest = dest[n..];
            pos += n;
        }
    }
}
