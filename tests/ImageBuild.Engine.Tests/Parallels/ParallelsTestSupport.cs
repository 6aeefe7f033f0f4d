using System.Buffers.Binary;
using System.Security.Cryptography;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using static ImageBuild.Tests.Shared.ImageFilePatch;
using static ImageBuild.Tests.Shared.LittleEndianFields;

namespace ImageBuild.Engine.Tests.Parallels;

/// <summary>Collects check's diagnostic lines.</summary>
internal sealed class ParallelsCheckLines : Info.ICheckLog
{
    public List<string> All { get; } = [];

    public void Message(string line) => All.Add(line);
}

/// <summary>Making, patching and opening Parallels images in tests.</summary>
internal static class ParallelsTestSupport
{
    public const int MiB = 1 << 20;

    // header field offsets (docs/interop/parallels.txt)
    public const int VersionField = 16, Tracks = 28, BatEntries = 32, NbSectors = 36, InUse = 44, DataOff = 48, ExtOff = 56, Bat = 64;

    public const uint InUseMagic = 0x746F6E59;

    public static ImageContext Ctx(List<string>? warnings = null) =>
        new(FormatRegistry.CreateDefault(), w => warnings?.Add(w));

    public static void Create(string path, long size, long? clusterSize = null) =>
        ImageCreator.Create(Ctx(), new CreateImageRequest
        {
            Filename = path, Format = "parallels", Size = size,
            Options = clusterSize is { } c ? [new("cluster_size", c.ToString())] : [],
        }, null);

    public static BlockDevice Open(string path, bool writable = false, bool forCheck = false, ImageContext? ctx = null) =>
        ImageOpener.Open(ctx ?? Ctx(), path, new OpenOptions { Format = "parallels", Writable = writable, ForCheck = forCheck });

    public static byte[] Pattern(int length, byte seed)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte)(seed + i * 7);
        return b;
    }

    /// <summary>
    /// A format extension cluster: magic, the MD5 of the rest, then the given features (magic, data) and the
    /// end-of-features header.
    /// </summary>
    public static byte[] Extension(int clusterSize, params (ulong Magic, byte[] Data)[] features)
    {
        var cluster = new byte[clusterSize];
        BinaryPrimitives.WriteUInt64LittleEndian(cluster, 0xAB234CEF23DCEA87);
        int pos = 24;
        foreach (var (magic, data) in features)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(cluster.AsSpan(pos), magic);
            BinaryPrimitives.WriteUInt32LittleEndian(cluster.AsSpan(pos + 16), (uint)data.Length);
            data.AsSpan(0, Math.Min(data.Length, clusterSize - pos - 24)).CopyTo(cluster.AsSpan(pos + 24));
            pos += 24 + (data.Length + 7) / 8 * 8;
        }
        MD5.HashData(cluster.AsSpan(24)).CopyTo(cluster, 8);
        return cluster;
    }

    /// <summary>A dirty bitmap feature's data: size in sectors, id, granularity in sectors, then the L1 table.</summary>
    public static byte[] BitmapFeature(ulong sectors, uint granularitySectors, params ulong[] l1)
    {
        var data = new byte[32 + l1.Length * 8];
        BinaryPrimitives.WriteUInt64LittleEndian(data, sectors);
        for (int i = 0; i < 16; i++) data[8 + i] = (byte)(0xA0 + i);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(24), granularitySectors);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(28), (uint)l1.Length);
        for (int i = 0; i < l1.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(32 + i * 8), l1[i]);
        return data;
    }
}
