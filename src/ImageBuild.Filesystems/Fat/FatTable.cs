using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace ImageBuild.Filesystems.Fat;

/// <summary>
/// Both copies of the file allocation table (fatgen103 "FAT Data Structure"). FAT[0] holds the media byte 0xF8 with
/// the other bits set, FAT[1] the end-of-chain mark (clean-shutdown and no-error bits set). Every chain this writer
/// makes is contiguous and the chains follow each other from cluster 2 on, so entry N is N+1 unless N ends a chain
/// (end-of-chain mark) or lies past the last used cluster (0, free). The table is generated in 64 KiB pieces, so its
/// size does not bound memory.
/// </summary>
internal sealed class FatTable(FatGeometry geometry, IReadOnlyList<uint> chainEnds, uint firstFree)
{
    public const byte Media = 0xF8;
    private const int Chunk = 1 << 16;

    private uint EndOfChain => geometry.Type switch { FatType.Fat12 => 0xFFF, FatType.Fat16 => 0xFFFF, _ => 0x0FFFFFFF };

    /// <summary>Writes both FATs whole (free entries as zeros) into the volume that starts at <paramref name="volumeOffset"/>.</summary>
    public void Write(SafeFileHandle target, long volumeOffset, Action<long> written, CancellationToken cancellation)
    {
        if (geometry.Type == FatType.Fat12)
        {
            var fat = new byte[geometry.FatBytes]; // at most 4086 entries of 12 bits: a few KiB
            int end = 0;
            for (uint c = 0; c < geometry.ClusterCount + 2; c++)
            {
                uint v = Value(c, ref end);
                int at = (int)(c * 3 / 2);
                ushort pair = BinaryPrimitives.ReadUInt16LittleEndian(fat.AsSpan(at));
                pair = (c & 1) == 0 ? (ushort)((pair & 0xF000u) | v) : (ushort)((pair & 0x000Fu) | (v << 4));
                BinaryPrimitives.WriteUInt16LittleEndian(fat.AsSpan(at), pair);
            }
            for (int copy = 0; copy < 2; copy++)
                RandomAccess.Write(target, fat, volumeOffset + geometry.FatOffset(copy));
            written(2 * fat.Length);
            return;
        }

        int width = geometry.Type == FatType.Fat16 ? 2 : 4;
        var buffer = new byte[Chunk];
        int endIndex = 0;
        long entries = geometry.ClusterCount + 2L;
        for (long pos = 0; pos < geometry.FatBytes; pos += Chunk)
        {
            cancellation.ThrowIfCancellationRequested();
            int length = (int)Math.Min(Chunk, geometry.FatBytes - pos);
            var span = buffer.AsSpan(0, length);
            span.Clear();
            long first = pos / width;
            for (long c = first; c < first + length / width && c < entries; c++)
            {
                uint v = Value((uint)c, ref endIndex);
                if (width == 2) BinaryPrimitives.WriteUInt16LittleEndian(span[(int)((c - first) * 2)..], (ushort)v);
                else BinaryPrimitives.WriteUInt32LittleEndian(span[(int)((c - first) * 4)..], v);
            }
            for (int copy = 0; copy < 2; copy++)
                RandomAccess.Write(target, span, volumeOffset + geometry.FatOffset(copy) + pos);
            written(2L * length);
        }
    }

    /// <summary>Entry <paramref name="cluster"/>'s value; called for increasing clusters, <paramref name="endIndex"/> walks the chain ends.</summary>
    private uint Value(uint cluster, ref int endIndex)
    {
        if (cluster == 0) return EndOfChain & (0x0FFFFF00u | Media);
        if (cluster == 1) return EndOfChain;
        if (cluster >= firstFree) return 0;
        if (endIndex < chainEnds.Count && chainEnds[endIndex] == cluster)
        {
            endIndex++;
            return EndOfChain;
        }
        return cluster + 1;
    }
}
