using System.Buffers.Binary;

namespace ImageBuild.Engine.Tests.Compression;

/// <summary>One compressed cluster of a qcow2 file: where its guest data lives and where its L2 entry is.</summary>
internal sealed record CompressedCluster(long GuestOffset, long L2EntryOffset, ulong Entry, long HostOffset, int Length);

/// <summary>
/// A minimal, test-only reader of a qcow2 file's L1/L2 tables (standard 8-byte L2 entries) that lists its
/// compressed clusters, decoding descriptors per docs/interop/qcow2.txt. The engine's own qcow2 driver is not
/// used on purpose: these tests check the codecs against qemu's files directly.
/// </summary>
internal sealed class CompressedClusterWalker
{
    public int ClusterBits { get; }
    public int ClusterSize => 1 << ClusterBits;
    public byte CompressionType { get; }
    public List<CompressedCluster> Clusters { get; } = [];

    /// <summary>Guest offsets of clusters stored uncompressed (standard entries with a host offset).</summary>
    public List<long> Uncompressed { get; } = [];

    public CompressedClusterWalker(string path)
    {
        using var fs = File.OpenRead(path);
        var h = new byte[112];
        fs.ReadExactly(h);
        ClusterBits = (int)BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(20));
        uint l1Size = BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(36));
        long l1Offset = (long)BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(40));
        uint headerLength = BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(100));
        CompressionType = headerLength > 104 ? h[104] : (byte)0;
        ulong incompat = BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(72));
        Assert.AreEqual(0UL, incompat & (1UL << 4), "extended L2 is not handled by this test reader");

        int l2Entries = ClusterSize / 8;
        int x = 62 - (ClusterBits - 8);
        ulong offsetMask = (1UL << x) - 1;
        ulong sectorsMask = (1UL << (ClusterBits - 8)) - 1;
        var l1 = new byte[l1Size * 8];
        RandomAccess.Read(fs.SafeFileHandle, l1, l1Offset);
        var l2 = new byte[ClusterSize];
        for (int i = 0; i < l1Size; i++)
        {
            long l2Offset = (long)(BinaryPrimitives.ReadUInt64BigEndian(l1.AsSpan(i * 8)) & 0x00ff_ffff_ffff_fe00UL);
            if (l2Offset == 0) continue;
            RandomAccess.Read(fs.SafeFileHandle, l2, l2Offset);
            for (int j = 0; j < l2Entries; j++)
            {
                ulong e = BinaryPrimitives.ReadUInt64BigEndian(l2.AsSpan(j * 8));
                long guest = ((long)i * l2Entries + j) << ClusterBits;
                if ((e & (1UL << 62)) == 0)
                {
                    if ((e & 0x00ff_ffff_ffff_fe00UL) != 0) Uncompressed.Add(guest);
                    continue;
                }
                ulong d = e & ((1UL << 62) - 1);
                long host = (long)(d & offsetMask);
                int sectors = (int)((d >> x) & sectorsMask) + 1;
                int length = sectors * 512 - (int)(host & 511);
                Clusters.Add(new CompressedCluster(guest, l2Offset + j * 8, e, host, length));
            }
        }
    }

    /// <summary>The L2 entry for a compressed cluster stored at <paramref name="host"/> with <paramref name="length"/> bytes.</summary>
    public ulong EncodeEntry(long host, int length)
    {
        int x = 62 - (ClusterBits - 8);
        long extraSectors = ((host + length - 1) >> 9) - (host >> 9);
        return (1UL << 62) | ((ulong)extraSectors << x) | (ulong)host;
    }
}
