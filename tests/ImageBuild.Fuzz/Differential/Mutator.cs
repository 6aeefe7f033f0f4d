using System.Buffers.Binary;

namespace ImageBuild.Fuzz.Differential;

/// <summary>
/// In-process mutations of a seed, deterministic for a given random source: a few byte flips or interesting
/// values (0, all ones, sign bits, small and huge big-endian integers) written over bytes, mostly in the
/// first clusters where qcow2 keeps its header and tables.
/// </summary>
public static class Mutator
{
    private static readonly ulong[] Interesting =
    [
        0, 1, 0x80, 0xFF, 0x200, 0x1000, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
        0x8000000000000000, 0x7FFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0x4000000000000000, 0x00FFFFFFFFFFFE00,
    ];

    public static byte[] Mutate(byte[] seed, Random rnd)
    {
        byte[] b = (byte[])seed.Clone();
        if (b.Length == 0)
            return b;
        int count = rnd.Next(1, 6);
        for (int i = 0; i < count; i++)
        {
            int limit = rnd.Next(4) == 0 ? b.Length : Math.Min(b.Length, 8 * 1024);
            int at = rnd.Next(limit);
            switch (rnd.Next(5))
            {
                case 0:
                    b[at] ^= (byte)(1 << rnd.Next(8));
                    break;
                case 1:
                    b[at] = (byte)rnd.Next(256);
                    break;
                case 2 when at + 4 <= b.Length:
                    BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at & ~3), (uint)Interesting[rnd.Next(Interesting.Length)]);
                    break;
                case 3 when (at & ~7) + 8 <= b.Length:
                    BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(at & ~7), Interesting[rnd.Next(Interesting.Length)]);
                    break;
                default:
                    b[at] = rnd.Next(2) == 0 ? (byte)0 : (byte)0xFF;
                    break;
            }
        }
        return b;
    }
}
