using System.Buffers.Binary;

namespace ImageBuild.Cli.Tests.Lifecycle;

/// <summary>Byte edits that break a qcow2 image on purpose (16-bit refcounts, the first refcount block and L2 table).</summary>
public sealed class Qcow2Corruptor : IDisposable
{
    private readonly FileStream _f;

    public Qcow2Corruptor(string path)
    {
        _f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        ClusterSize = 1 << (int)ReadU32(20);
        L1Offset = (long)ReadU64(40);
        ReftableOffset = (long)ReadU64(48);
    }

    public int ClusterSize { get; }
    public long L1Offset { get; }
    public long ReftableOffset { get; }

    public long Refblock0 => (long)ReadU64(ReftableOffset);

    /// <summary>The host offset of the L2 table of L1 entry <paramref name="l1Index"/>.</summary>
    public long L2Offset(int l1Index) => (long)(ReadU64(L1Offset + l1Index * 8L) & 0x00FF_FFFF_FFFF_FE00UL);

    public void SetRefcount(long cluster, ushort value) => WriteU16(Refblock0 + cluster * 2, value);

    public void SetReftableEntry(int index, ulong value) => WriteU64(ReftableOffset + index * 8L, value);

    public void SetL1Entry(int index, ulong value) => WriteU64(L1Offset + index * 8L, value);

    public ulong GetL2Entry(int l1Index, int index) => ReadU64(L2Offset(l1Index) + index * 8L);

    public void SetL2Entry(int l1Index, int index, ulong value) => WriteU64(L2Offset(l1Index) + index * 8L, value);

    /// <summary>An extended L2 entry (16 bytes: descriptor, subcluster bitmap).</summary>
    public ulong GetExtendedL2Entry(int l1Index, int index) => ReadU64(L2Offset(l1Index) + index * 16L);

    public void SetExtendedL2Entry(int l1Index, int index, ulong value, ulong bitmap)
    {
        WriteU64(L2Offset(l1Index) + index * 16L, value);
        WriteU64(L2Offset(l1Index) + index * 16L + 8, bitmap);
    }

    public void SetDirty() => WriteU64(72, ReadU64(72) | 1);

    /// <summary>The header's refcount_table_clusters.</summary>
    public void SetReftableClusters(uint clusters)
    {
        Span<byte> b = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(b, clusters);
        _f.Position = 56;
        _f.Write(b);
    }

    public void SetLength(long length) => _f.SetLength(length);

    public long Length => _f.Length;

    private ulong ReadU64(long at)
    {
        Span<byte> b = stackalloc byte[8];
        _f.Position = at;
        _f.ReadExactly(b);
        return BinaryPrimitives.ReadUInt64BigEndian(b);
    }

    private uint ReadU32(long at)
    {
        Span<byte> b = stackalloc byte[4];
        _f.Position = at;
        _f.ReadExactly(b);
        return BinaryPrimitives.ReadUInt32BigEndian(b);
    }

    private void WriteU64(long at, ulong v)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, v);
        _f.Position = at;
        _f.Write(b);
    }

    private void WriteU16(long at, ushort v)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, v);
        _f.Position = at;
        _f.Write(b);
    }

    public void Dispose() => _f.Dispose();
}
