using System.Buffers.Binary;
using ImageBuild.Engine.Host;
using static ImageBuild.Engine.Formats.Vhdx.Log.VhdxLogEntryFormat;

namespace ImageBuild.Engine.Formats.Vhdx.Log;

/// <summary>
/// Placeholder until branch i16-vhdxlog lands: appends one entry per call at the write position (wrapping sector by
/// sector), sequence numbers from firstSequence on, Tail at the entry itself (every entry is applied before the next
/// one is written, so each is a whole active sequence), one data descriptor per 4 KiB sector; flushed.
/// </summary>
internal sealed class VhdxLogWriter(HostFile file, VhdxLogRegion region, Guid logGuid, ulong firstSequence)
{
    private long _position;
    private ulong _sequence = firstSequence;

    public void Write(IReadOnlyList<VhdxLogWrite> writes, long flushedFileOffset, long lastFileOffset)
    {
        var sectors = new List<(long Offset, ReadOnlyMemory<byte> Data)>();
        var zeros = new List<VhdxLogWrite>();
        foreach (var w in writes)
        {
            if (w.IsZero) { zeros.Add(w); continue; }
            for (long at = 0; at < w.Length; at += Sector)
                sectors.Add((w.FileOffset + at, w.Data.Slice((int)at, Sector)));
        }
        int count = zeros.Count + sectors.Count;
        int headerSectors = HeaderSectors(count);
        var entry = new byte[(headerSectors + sectors.Count) * Sector];
        Span<byte> e = entry;
        ulong seq = _sequence;
        BinaryPrimitives.WriteUInt32LittleEndian(e, EntrySignature);
        BinaryPrimitives.WriteUInt32LittleEndian(e[8..], (uint)entry.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(e[12..], (uint)_position);
        BinaryPrimitives.WriteUInt64LittleEndian(e[16..], seq);
        BinaryPrimitives.WriteUInt32LittleEndian(e[24..], (uint)count);
        logGuid.TryWriteBytes(e.Slice(32, 16));
        BinaryPrimitives.WriteUInt64LittleEndian(e[48..], (ulong)flushedFileOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(e[56..], (ulong)lastFileOffset);
        int d = 64;
        foreach (var z in zeros)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(e[d..], ZeroDescriptorSignature);
            BinaryPrimitives.WriteUInt64LittleEndian(e[(d + 8)..], (ulong)z.Length);
            BinaryPrimitives.WriteUInt64LittleEndian(e[(d + 16)..], (ulong)z.FileOffset);
            BinaryPrimitives.WriteUInt64LittleEndian(e[(d + 24)..], seq);
            d += 32;
        }
        int dataSector = headerSectors;
        foreach (var (offset, data) in sectors)
        {
            var s = data.Span;
            BinaryPrimitives.WriteUInt32LittleEndian(e[d..], DataDescriptorSignature);
            s.Slice(4092, 4).CopyTo(e[(d + 4)..]);
            s[..8].CopyTo(e[(d + 8)..]);
            BinaryPrimitives.WriteUInt64LittleEndian(e[(d + 16)..], (ulong)offset);
            BinaryPrimitives.WriteUInt64LittleEndian(e[(d + 24)..], seq);
            d += 32;
            var ds = e.Slice(dataSector++ * Sector, Sector);
            BinaryPrimitives.WriteUInt32LittleEndian(ds, DataSectorSignature);
            BinaryPrimitives.WriteUInt32LittleEndian(ds[4..], (uint)(seq >> 32));
            s.Slice(8, 4084).CopyTo(ds[8..]);
            BinaryPrimitives.WriteUInt32LittleEndian(ds[4092..], (uint)seq);
        }
        VhdxChecksum.Update(e, 4);
        for (int i = 0; i < entry.Length; i += Sector)
        {
            file.Write(region.Offset + _position, e.Slice(i, Sector));
            _position = (_position + Sector) % region.Length;
        }
        file.Flush();
        _sequence++;
    }
}
