using System.Buffers;
using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>
/// Writes into an uncompressed sparse extent (qemu's vmdk_pwritev, get_cluster_offset with allocation,
/// get_whole_cluster, vmdk_L2update) and zeroed-grain writes (vmdk_co_pwrite_zeroes).
/// Order, as in qemu: a new grain is written whole (the rest of the grain copied from below, or zeros) before any GT
/// entry names it; here the data of every grain a request allocates is written, then flushed once, then the GT
/// entries (the primary GT, then the redundant one), so that a crash leaves at worst a leaked grain.
/// </summary>
internal sealed partial class SparseExtent
{
    public override void Write(long offset, ReadOnlySpan<byte> src, BelowReader below)
    {
        if (_stream is not null)
        {
            WriteStreamPieces(offset, src);
            return;
        }
        if (IsCompressed)
        {
            WriteCompressedPieces(offset, src, below);
            return;
        }
        var allocated = new List<(GrainSlot, uint)>();
        byte[]? fill = null;
        try
        {
            while (!src.IsEmpty)
            {
                long inGrain = offset % GrainBytes;
                int n = (int)Math.Min(src.Length, GrainBytes - inGrain);
                var slot = Locate(offset, Einval);
                long host;
                if (slot.Entry == 0 || IsZeroed(slot.Entry))
                {
                    if (slot.GtSector == 0) throw Error(Einval); // no grain table: qemu cannot allocate either
                    host = AllocateGrain();
                    fill ??= ArrayPool<byte>.Shared.Rent((int)GrainBytes);
                    FillAround(slot, offset - inGrain, host, (int)inGrain, (int)inGrain + n, fill, below);
                    File!.Write(host + inGrain, src[..n]);
                    allocated.Add((slot, (uint)(host / 512)));
                }
                else
                {
                    host = (long)slot.Entry * 512;
                    File!.Write(host + inGrain, src[..n]);
                }
                _nextGrainSector = Math.Max(_nextGrainSector, (host + inGrain + n + 511) / 512);
                offset += n;
                src = src[n..];
            }
        }
        finally
        {
            if (fill is not null) ArrayPool<byte>.Shared.Return(fill);
            if (allocated.Count > 0)
            {
                File!.Flush(); // the grains are on disk before the tables name them
                UpdateGrainTables(allocated);
            }
        }
    }

    /// <summary>
    /// qemu's get_whole_cluster: the parts of a new grain the write does not cover, [0, skipStart) and
    /// [skipEnd, grain), copied from below (the backing file) or zeros over a zeroed grain.
    /// </summary>
    private void FillAround(GrainSlot slot, long grainOffset, long host, int skipStart, int skipEnd, byte[] fill, BelowReader below)
    {
        int grain = (int)GrainBytes;
        var whole = fill.AsSpan(0, grain);
        bool fromBelow = !IsZeroed(slot.Entry);
        if (skipStart > 0)
        {
            if (fromBelow) below(grainOffset, whole[..skipStart]);
            else whole[..skipStart].Clear();
            File!.Write(host, whole[..skipStart]);
        }
        if (skipEnd < grain)
        {
            if (fromBelow) below(grainOffset + skipEnd, whole[skipEnd..]);
            else whole[skipEnd..].Clear();
            File!.Write(host + skipEnd, whole[skipEnd..]);
        }
    }

    /// <summary>The next free grain (qemu's next_cluster_sector); none at or past 2^32 sectors.</summary>
    private long AllocateGrain()
    {
        if (_nextGrainSector >= MaxSectors) throw Error(Einval);
        long sector = _nextGrainSector;
        _nextGrainSector += _grainSectors;
        return sector * 512;
    }

    /// <summary>
    /// qemu's vmdk_L2update for each entry: the GTE in the grain table, then in the redundant grain table the
    /// redundant GD names (spec: "the redundant grain directory and tables are kept in sync"), then the cache.
    /// A redundant GD entry of 0 (none, or past the end of the file) is skipped rather than written over sector 0.
    /// </summary>
    private void UpdateGrainTables(List<(GrainSlot Slot, uint Value)> entries)
    {
        Span<byte> gte = stackalloc byte[4];
        foreach (var (slot, value) in entries)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(gte, value);
            File!.Write((long)slot.GtSector * 512 + slot.GtIndex * 4, gte);
            if (_rgd is not null)
            {
                uint backup = slot.GdIndex < (uint)_rgd.Length ? _rgd[slot.GdIndex] : 0;
                if (backup != 0)
                    File.Write((long)backup * 512 + slot.GtIndex * 4, gte);
            }
            _cache.Update(slot.GtSector, slot.GtIndex, value);
        }
    }

    /// <summary>
    /// qemu's zeroed write: only with zeroed-grain GTEs (flag bit 2) and only for whole grains (the last may not be
    /// cut short); checked for the whole range first (qemu's dry run), then every grain not zeroed yet gets GTE 1.
    /// False when the range cannot be done this way: the device then writes zeros.
    /// </summary>
    public override bool TryWriteZeroes(long offset, long length)
    {
        if (_stream is not null) return ZeroStream(offset, length);
        var slots = new List<(GrainSlot, uint)>();
        for (long pos = offset, end = offset + length; pos < end;)
        {
            long inGrain = pos % GrainBytes;
            long n = Math.Min(end - pos, GrainBytes - inGrain);
            var slot = Locate(pos, Einval);
            if (IsCompressed && slot.Entry != 0)
                throw new ImageException("Could not write to allocated cluster for streamOptimized") { Errno = Eio };
            if (!HasZeroedGrains || inGrain != 0 || n < GrainBytes || slot.GtSector == 0)
                return false;
            if (slot.Entry != GteZeroed) slots.Add((slot, GteZeroed));
            pos += n;
        }
        if (slots.Count > 0) UpdateGrainTables(slots);
        return true;
    }
}
