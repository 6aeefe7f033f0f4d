using System.Buffers.Binary;

namespace ImageBuild.Cli.FormatTests.Vhdx;

/// <summary>
/// Damage done to a qemu-made 64 MiB VHDX (log at 1 MiB, BAT at 2 MiB, metadata at 3 MiB, block 0 at 8 MiB);
/// structures whose checksum the damage must keep valid get it recomputed (CRC-32C).
/// </summary>
internal static class VhdxDamage
{
    private const int MiB = 1 << 20;

    public static void Apply(string path, string damage)
    {
        byte[] b = File.ReadAllBytes(path);
        switch (damage)
        {
            case "header1": b[0x10010] ^= 1; break;
            case "both-headers": b[0x10010] ^= 1; b[0x20010] ^= 1; break;
            case "region-table": b[0x30020] ^= 1; break;
            case "bat-past-eof": U64(b, 2 * MiB, (1000UL << 20) | 6); break;
            case "bat-in-log": U64(b, 2 * MiB, (1UL << 20) | 6); break;
            case "truncated": b = b[..(12 * MiB)]; break;
            case "partially-present": U64(b, 2 * MiB, (8UL << 20) | 7); break;
            case "block-size-3M": U32(b, 3 * MiB + 0x10000, 3 * MiB); break;
            case "block-size-512M": U32(b, 3 * MiB + 0x10000, 512 * MiB); break;
            case "logical-sector-1024": U32(b, 3 * MiB + 0x10000 + 32, 1024); break;
            case "unknown-required-region":
                U32(b, 0x30008, 3);
                Guid.NewGuid().TryWriteBytes(b.AsSpan(0x30050));
                U64(b, 0x30060, 4 * MiB);
                U32(b, 0x30068, MiB);
                U32(b, 0x3006C, 1);
                RegionChecksum(b);
                break;
            case "unknown-required-item":
                Guid.NewGuid().TryWriteBytes(b.AsSpan(3 * MiB + 32 + 4 * 32)); // the physical sector size entry, renamed; still required
                break;
            case "missing-item":
                U32(b, 3 * MiB + 8, 4 << 16); // entry count 4: no physical sector size
                break;
            case "bat-too-small":
                U32(b, 0x30028, 0); // BAT region length 0
                RegionChecksum(b);
                break;
            case "log-offset":
                U64(b, 0x10048, 12345);
                U64(b, 0x20048, 12345);
                HeaderChecksum(b, 0x10000);
                HeaderChecksum(b, 0x20000);
                break;
            default: throw new ArgumentException(damage);
        }
        File.WriteAllBytes(path, b);
    }

    private static void U64(byte[] b, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(at), v);

    private static void U32(byte[] b, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v);

    private static void RegionChecksum(byte[] b) => Checksum(b.AsSpan(0x30000, 64 << 10));

    private static void HeaderChecksum(byte[] b, int at) => Checksum(b.AsSpan(at, 4096));

    /// <summary>CRC-32C over the structure with its checksum field (offset 4) zero.</summary>
    private static void Checksum(Span<byte> s)
    {
        s.Slice(4, 4).Clear();
        uint crc = 0xFFFFFFFF;
        foreach (byte x in s)
        {
            crc ^= x;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], ~crc);
    }
}
