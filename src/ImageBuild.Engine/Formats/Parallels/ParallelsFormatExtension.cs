using System.Buffers.Binary;
using System.Security.Cryptography;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Parallels;

/// <summary>
/// The format extension cluster at ext_off (parallels.txt, "Format Extension"): a u64 magic, the MD5 of the rest of
/// the cluster, then features, each a 24-byte header (magic, flags, data_size) and data padded to 8 bytes, up to an
/// end-of-features header (magic 0). qemu 7.2 reads it only when the image is opened read-only and refuses the image
/// when any of it is wrong; the only feature it knows is the dirty bitmap. The cluster is read in pieces (it is one
/// cluster, up to 2 GiB for a hostile cluster size), never whole.
/// </summary>
internal static class ParallelsFormatExtension
{
    public const ulong Magic = 0xAB234CEF23DCEA87;
    public const int HeaderSize = 24;
    public const int FeatureHeaderSize = 24;
    public const ulong EndOfFeaturesMagic = 0;

    /// <summary>Reads and validates the extension at byte <paramref name="offset"/>; returns the dirty bitmaps' names.</summary>
    public static IReadOnlyList<string> Read(HostFile file, long offset, long clusterSize, ulong totalSectors)
    {
        if (offset < 0 || offset > long.MaxValue - clusterSize)
            throw new ImageException("Failed to read Format Extension cluster: Invalid argument");
        var head = new byte[HeaderSize];
        file.Read(offset, head);
        ulong magic = BinaryPrimitives.ReadUInt64LittleEndian(head);
        if (magic != Magic)
            throw new ImageException($"Wrong parallels Format Extension magic: 0x{magic:x}, expected: 0x{Magic:x}");
        if (!ChecksumMatches(file, offset, clusterSize, head.AsSpan(8, 16)))
            throw new ImageException("Wrong checksum in Format Extension header. Format extension is corrupted.");

        var bitmaps = new List<string>();
        long pos = offset + HeaderSize;
        // qemu counts the bytes left in an int
        long remaining = clusterSize - HeaderSize;
        var fh = new byte[FeatureHeaderSize];
        while (true)
        {
            if (remaining < FeatureHeaderSize)
                throw new ImageException(
                    $"Can not read feature header, as remaining bytes ({remaining}) in Format Extension is less than Feature header size ({FeatureHeaderSize})");
            file.Read(pos, fh);
            pos += FeatureHeaderSize;
            remaining -= FeatureHeaderSize;
            ulong featureMagic = BinaryPrimitives.ReadUInt64LittleEndian(fh);
            ulong flags = BinaryPrimitives.ReadUInt64LittleEndian(fh.AsSpan(8));
            uint dataSize = BinaryPrimitives.ReadUInt32LittleEndian(fh.AsSpan(16));
            if (flags != 0)
                throw new ImageException("Flags for extension feature are unsupported");
            long padded = ((long)dataSize + 7) & ~7L;
            if (padded > remaining)
                throw new ImageException("Feature data_size exceedes Format Extension cluster");
            switch (featureMagic)
            {
                case EndOfFeaturesMagic:
                    return bitmaps;
                case ParallelsDirtyBitmapFeature.Magic:
                    string name = ParallelsDirtyBitmapFeature.Validate(file, pos, dataSize, totalSectors, clusterSize);
                    if (bitmaps.Contains(name))
                        throw new ImageException($"Bitmap already exists: {name}");
                    bitmaps.Add(name);
                    break;
                default:
                    throw new ImageException($"Unknown feature: 0x{featureMagic:x}");
            }
            pos += padded;
            remaining -= padded;
        }
    }

    /// <summary>MD5 of the cluster after its 24-byte header, compared with the stored one.</summary>
    private static bool ChecksumMatches(HostFile file, long offset, long clusterSize, ReadOnlySpan<byte> stored)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buffer = new byte[(int)Math.Min(1 << 20, Math.Max(0, clusterSize - HeaderSize))];
        for (long done = HeaderSize; done < clusterSize;)
        {
            int n = (int)Math.Min(buffer.Length, clusterSize - done);
            file.Read(offset + done, buffer.AsSpan(0, n));
            md5.AppendData(buffer, 0, n);
            done += n;
        }
        return md5.GetHashAndReset().AsSpan().SequenceEqual(stored);
    }
}
