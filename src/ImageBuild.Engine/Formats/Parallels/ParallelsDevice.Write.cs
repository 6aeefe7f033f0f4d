using System.Buffers;
using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Formats.Parallels;

/// <summary>
/// Writing as qemu 7.2's parallels_co_writev and allocate_clusters do: a write into a run of unallocated clusters
/// gives them the next clusters at the end of the data, in guest order; when the file is too short for them, it is
/// first grown by what they need plus prealloc-size (128 MiB), zero-allocated (prealloc-mode=falloc). The BAT entries
/// are written as they change; the file is cut back to the data on close.
/// </summary>
public sealed partial class ParallelsDevice
{
    protected override void WriteCore(long offset, ReadOnlySpan<byte> src)
    {
        long sector = offset >> 9;
        long sectors = src.Length >> 9;
        while (sectors > 0)
        {
            long position = Allocate(sector, sectors, out long run);
            int n = (int)(run * 512);
            CheckDataPosition(sector, position);
            _file.Write(position * 512, src[..n]);
            src = src[n..];
            sector += run;
            sectors -= run;
        }
    }

    /// <summary>
    /// qemu's allocate_clusters: the host sector for guest <paramref name="sector"/> and how many sectors from there
    /// can be written in one piece, allocating the clusters of an unallocated run first.
    /// </summary>
    private long Allocate(long sector, long count, out long run)
    {
        long position = Status(sector, count, out run);
        if (position > 0)
            return position;

        long index = sector / _tracks;
        long toAllocate = (sector + run + _tracks - 1) / _tracks - index;
        // qemu asserts here; a table shorter than the virtual size is a hostile image
        if (index + toAllocate > _bat.Count)
            throw new ImageCorruptException(
                $"'{Filename}': cannot allocate guest cluster {index + toAllocate - 1}: the BAT has only {_bat.Count} entries");
        if (_dataEnd * 512 < _batEnd)
            throw new ImageCorruptException(
                $"'{Filename}': the data area (sector {_dataEnd}) starts inside the header or the BAT (which end at byte {_batEnd})");

        long space = toAllocate * _tracks;
        long fileSectors = Sectors.RoundUp(_file.Length) >> 9;
        if (_dataEnd + space > fileSectors)
        {
            space += _preallocSectors;
            _file.Allocate(_dataEnd * 512, space * 512);
        }

        if (Backing is not null)
            CopyFromBacking(index, toAllocate);

        var entries = new uint[toAllocate];
        long dataEnd = _dataEnd;
        for (long i = 0; i < toAllocate; i++)
        {
            long entry = dataEnd / _offMultiplier;
            if (entry > uint.MaxValue)
                throw new ImageCorruptException(
                    $"'{Filename}': cannot allocate guest cluster {index + i}: host sector {dataEnd} does not fit in a BAT entry");
            entries[i] = (uint)entry;
            dataEnd += _tracks;
        }
        _bat.Set(index, entries);
        _dataEnd = dataEnd;
        return entries[0] * _offMultiplier + sector % _tracks;
    }

    /// <summary>The backing file's data of the clusters being allocated, copied to where they will be (qemu's COW).</summary>
    private void CopyFromBacking(long index, long clusters)
    {
        long bytes = clusters * ClusterBytes;
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(bytes, 1 << 20));
        try
        {
            for (long done = 0; done < bytes;)
            {
                int n = (int)Math.Min(buffer.Length, bytes - done);
                ReadBacking(index * ClusterBytes + done, buffer.AsSpan(0, n));
                _file.Write(_dataEnd * 512 + done, buffer.AsSpan(0, n));
                done += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Refuses a write that would land on the header or the BAT (qemu writes there, corrupting the image).</summary>
    private void CheckDataPosition(long sector, long position)
    {
        long start = position * 512;
        if (start < _batEnd)
            throw new ImageCorruptException(
                $"'{Filename}': guest sector {sector} maps to host offset {start}, inside the header or the BAT (which end at byte {_batEnd})");
    }
}
