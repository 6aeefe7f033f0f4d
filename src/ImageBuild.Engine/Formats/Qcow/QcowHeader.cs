using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Qcow;

/// <summary>
/// qemu's QCowHeader: the 48 big-endian bytes at the start of a qcow (version 1) image. The backing file name, when
/// there is one, follows at <see cref="BackingFileOffset"/> (48 in images qemu creates), then the L1 table at
/// <see cref="L1TableOffset"/> (the end of the name rounded up to 8).
/// </summary>
internal sealed class QcowHeader
{
    public const int Length = 48;

    /// <summary>QCOW_CRYPT_NONE.</summary>
    public const uint CryptNone = 0;

    /// <summary>QCOW_CRYPT_AES: AES-128-CBC with the sector number as IV (qemu's legacy qcow encryption).</summary>
    public const uint CryptAes = 1;

    public uint Magic { get; init; } = QcowProbe.Magic;
    public uint Version { get; init; } = 1;
    public ulong BackingFileOffset { get; init; }
    public uint BackingFileSize { get; init; }

    /// <summary>Seconds since the epoch of the last change; qemu writes 0 at create and never updates it.</summary>
    public uint Mtime { get; init; }

    /// <summary>Virtual size in bytes as stored (qemu uses it rounded down to whole sectors).</summary>
    public ulong Size { get; init; }

    public byte ClusterBits { get; init; }

    /// <summary>log2 of the number of 8-byte entries in an L2 table.</summary>
    public byte L2Bits { get; init; }

    public ushort Padding { get; init; }
    public uint CryptMethod { get; init; }
    public ulong L1TableOffset { get; init; }

    public static QcowHeader Read(ReadOnlySpan<byte> b) => new()
    {
        Magic = BinaryPrimitives.ReadUInt32BigEndian(b),
        Version = BinaryPrimitives.ReadUInt32BigEndian(b[4..]),
        BackingFileOffset = BinaryPrimitives.ReadUInt64BigEndian(b[8..]),
        BackingFileSize = BinaryPrimitives.ReadUInt32BigEndian(b[16..]),
        Mtime = BinaryPrimitives.ReadUInt32BigEndian(b[20..]),
        Size = BinaryPrimitives.ReadUInt64BigEndian(b[24..]),
        ClusterBits = b[32],
        L2Bits = b[33],
        Padding = BinaryPrimitives.ReadUInt16BigEndian(b[34..]),
        CryptMethod = BinaryPrimitives.ReadUInt32BigEndian(b[36..]),
        L1TableOffset = BinaryPrimitives.ReadUInt64BigEndian(b[40..]),
    };

    public void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32BigEndian(b, Magic);
        BinaryPrimitives.WriteUInt32BigEndian(b[4..], Version);
        BinaryPrimitives.WriteUInt64BigEndian(b[8..], BackingFileOffset);
        BinaryPrimitives.WriteUInt32BigEndian(b[16..], BackingFileSize);
        BinaryPrimitives.WriteUInt32BigEndian(b[20..], Mtime);
        BinaryPrimitives.WriteUInt64BigEndian(b[24..], Size);
        b[32] = ClusterBits;
        b[33] = L2Bits;
        BinaryPrimitives.WriteUInt16BigEndian(b[34..], Padding);
        BinaryPrimitives.WriteUInt32BigEndian(b[36..], CryptMethod);
        BinaryPrimitives.WriteUInt64BigEndian(b[40..], L1TableOffset);
    }

    /// <summary>
    /// qcow_open's header checks, in qemu's order and with its messages. The key of an AES-encrypted image is the
    /// device's to look up (at the point of qemu's crypt method check, which follows these).
    /// </summary>
    public void Validate()
    {
        if (Magic != QcowProbe.Magic)
            throw new ImageException("Image not in qcow format");
        if (Version != 1)
            throw new ImageException($"qcow (v1) does not support qcow version {Version}" +
                (Version is 2 or 3 ? "\nTry the 'qcow2' driver instead." : ""));
        if (Size <= 1)
            throw new ImageException("Image size is too small (must be at least 2 bytes)");
        if (ClusterBits is < 9 or > 16)
            throw new ImageException("Cluster size must be between 512 and 64k");
        if (L2Bits is < 9 - 3 or > 16 - 3)
            throw new ImageException("L2 table size must be between 512 and 64k");
        if (CryptMethod > CryptAes)
            throw new ImageException("invalid encryption method in qcow header");
    }

    /// <summary>
    /// L1 entries for the stored size (qemu's l1_size), or an error with qemu's "Image too large" when the size
    /// overflows or the table would exceed INT_MAX bytes.
    /// </summary>
    public int L1Entries()
    {
        int shift = ClusterBits + L2Bits;
        if (Size > ulong.MaxValue - (1UL << shift))
            throw new ImageException("Image too large");
        ulong entries = (Size + (1UL << shift) - 1) >> shift;
        if (entries > int.MaxValue / sizeof(ulong))
            throw new ImageException("Image too large");
        return (int)entries;
    }
}
