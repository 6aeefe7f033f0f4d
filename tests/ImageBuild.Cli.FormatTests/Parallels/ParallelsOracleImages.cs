using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ImageBuild.Cli.FormatTests.Parallels;

/// <summary>
/// Parallels images built field by field for the oracle tests (qemu-img cannot make damaged ones): a 64-byte header,
/// the BAT, and the file cut or extended to a given length.
/// </summary>
internal sealed record ParallelsImage
{
    public const uint InUseMagic = 0x746F6E59;

    public bool OldMagic { get; init; }
    public uint Version { get; init; } = 2;
    public uint Tracks { get; init; } = 8;
    public uint BatEntries { get; init; } = 4;
    public ulong NbSectors { get; init; } = 32;
    public uint InUse { get; init; }
    public uint DataOff { get; init; } = 8;
    public ulong ExtOff { get; init; }
    public uint[] Entries { get; init; } = [];
    public long FileLength { get; init; } = 4096;

    /// <summary>Bytes written over the file after it is laid out (data, a format extension).</summary>
    public (long Offset, byte[] Bytes)[] Extra { get; init; } = [];

    public void Write(string path)
    {
        var header = new byte[64];
        (OldMagic ? "WithoutFreeSpace"u8 : "WithouFreSpacExt"u8).CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), Version);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), 16);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(28), Tracks);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(32), BatEntries);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(36), NbSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(44), InUse);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(48), DataOff);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(56), ExtOff);
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write);
        f.Write(header);
        foreach (uint e in Entries)
        {
            var b = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, e);
            f.Write(b);
        }
        f.SetLength(Math.Max(FileLength, 0));
        for (long pos = 4096; pos < FileLength; pos += 4096)
        {
            // recognisable data in every cluster past the first
            f.Position = pos;
            f.Write(Enumerable.Repeat((byte)(pos / 4096), (int)Math.Min(4096, FileLength - pos)).ToArray());
        }
        foreach (var (offset, bytes) in Extra)
        {
            f.Position = offset;
            f.Write(bytes);
        }
    }

    /// <summary>A format extension cluster: magic, MD5 of the rest, the features, the end-of-features header.</summary>
    public static byte[] Extension(int clusterSize, params (ulong Magic, uint DataSize, byte[] Data)[] features)
    {
        var cluster = new byte[clusterSize];
        BinaryPrimitives.WriteUInt64LittleEndian(cluster, 0xAB234CEF23DCEA87);
        int pos = 24;
        foreach (var (magic, size, data) in features)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(cluster.AsSpan(pos), magic);
            BinaryPrimitives.WriteUInt32LittleEndian(cluster.AsSpan(pos + 16), size);
            data.AsSpan(0, Math.Min(data.Length, clusterSize - pos - 24)).CopyTo(cluster.AsSpan(pos + 24));
            pos += 24 + (int)Math.Min((size + 7) / 8 * 8, (uint)clusterSize);
            if (pos >= clusterSize) break;
        }
        MD5.HashData(cluster.AsSpan(24)).CopyTo(cluster, 8);
        return cluster;
    }

    public const ulong BitmapMagic = 0x20385FAE252CB34A;

    /// <summary>A dirty bitmap feature's data: size (sectors), id, granularity (sectors), l1_size, then the table.</summary>
    public static byte[] Bitmap(ulong sectors, uint granularity, uint l1Size, params ulong[] l1)
    {
        var data = new byte[32 + l1.Length * 8];
        BinaryPrimitives.WriteUInt64LittleEndian(data, sectors);
        for (int i = 0; i < 16; i++) data[8 + i] = (byte)(0x10 * i + 1);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(24), granularity);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(28), l1Size);
        for (int i = 0; i < l1.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(32 + i * 8), l1[i]);
        return data;
    }
}
