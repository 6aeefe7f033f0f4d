using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// Reads and writes refcount entries of width 2^order bits (1..64) inside a refcount block.
/// Sub-byte widths pack LSB-first: entry i of width w lives in byte i*w/8 at bit (i*w)%8.
/// </summary>
internal static class RefcountBlock
{
    public static ulong Get(ReadOnlySpan<byte> block, long index, int order)
    {
        switch (order)
        {
            case 0:
            case 1:
            case 2:
                {
                    int w = 1 << order;
                    long bit = index * w;
                    int b = block[(int)(bit >> 3)];
                    return (ulong)((b >> (int)(bit & 7)) & ((1 << w) - 1));
                }
            case 3: return block[(int)index];
            case 4: return BinaryPrimitives.ReadUInt16BigEndian(block[(int)(index * 2)..]);
            case 5: return BinaryPrimitives.ReadUInt32BigEndian(block[(int)(index * 4)..]);
            default: return BinaryPrimitives.ReadUInt64BigEndian(block[(int)(index * 8)..]);
        }
    }

    public static void Set(Span<byte> block, long index, int order, ulong value)
    {
        switch (order)
        {
            case 0:
            case 1:
            case 2:
                {
                    int w = 1 << order;
                    long bit = index * w;
                    int shift = (int)(bit & 7);
                    int mask = ((1 << w) - 1) << shift;
                    ref byte b = ref block[(int)(bit >> 3)];
                    b = (byte)((b & ~mask) | (((int)value << shift) & mask));
                    break;
                }
            case 3: block[(int)index] = (byte)value; break;
            case 4: BinaryPrimitives.WriteUInt16BigEndian(block[(int)(index * 2)..], (ushort)value); break;
            case 5: BinaryPrimitives.WriteUInt32BigEndian(block[(int)(index * 4)..], (uint)value); break;
            default: BinaryPrimitives.WriteUInt64BigEndian(block[(int)(index * 8)..], value); break;
        }
    }

    public static ulong MaxRefcount(int order) => order == 6 ? ulong.MaxValue : (1UL << (1 << order)) - 1;
}
