using System.Buffers.Binary;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Dmg;

/// <summary>
/// The UDIF trailer (the 512-byte "koly" block at the end of a DMG, big-endian): where the data fork, the resource
/// fork and the XML property list lie, and the disk's size in sectors. Only the fields qemu reads are kept.
/// </summary>
internal sealed class UdifTrailer
{
    private static ReadOnlySpan<byte> Magic => "koly"u8;

    /// <summary>Where the trailer starts in the file (qemu's "offset" in dmg_open, the bound of every fork).</summary>
    public long Position { get; private init; }

    /// <summary>DataForkOffset (0x18): the base of every chunk's compressed offset.</summary>
    public ulong DataForkOffset { get; private init; }

    /// <summary>RsrcForkOffset (0x28) and RsrcForkLength (0x30).</summary>
    public ulong ResourceForkOffset { get; private init; }
    public ulong ResourceForkLength { get; private init; }

    /// <summary>XMLOffset (0xd8) and XMLLength (0xe0): the property list with the blkx tables.</summary>
    public ulong PlistOffset { get; private init; }
    public ulong PlistLength { get; private init; }

    /// <summary>SectorCount (0x1ec): the virtual size in 512-byte sectors.</summary>
    public long SectorCount { get; private init; }

    /// <summary>
    /// Finds and reads the trailer as qemu's dmg_find_koly_offset and dmg_open do: the magic is looked for in the last
    /// 515 bytes (a DMG's length need not be a multiple of 512), and the offsets it gives are checked against it.
    /// The fields are read through the file as qemu reads them, as zeros past its end.
    /// </summary>
    public static UdifTrailer Read(HostFile file)
    {
        // qemu's bdrv_getlength: the file's length rounded up to whole sectors (what lies past the end reads as zeros)
        long length = (file.Length + 511) & ~511L;
        if (length < DmgLimits.TrailerSize)
            throw new ImageException("dmg file must be at least 512 bytes long");
        long start = length > 511 + 512 ? length - 511 - 512 : 0;
        var window = new byte[Math.Min(length, 515)];
        file.Read(start, window);
        int at = window.AsSpan().IndexOf(Magic);
        if (at < 0)
            throw new ImageException("Could not locate UDIF trailer in dmg file");
        long position = start + at;
        var koly = new byte[DmgLimits.TrailerSize];
        file.Read(position, koly);
        var trailer = new UdifTrailer
        {
            Position = position,
            DataForkOffset = BinaryPrimitives.ReadUInt64BigEndian(koly.AsSpan(0x18)),
            ResourceForkOffset = BinaryPrimitives.ReadUInt64BigEndian(koly.AsSpan(0x28)),
            ResourceForkLength = BinaryPrimitives.ReadUInt64BigEndian(koly.AsSpan(0x30)),
            PlistOffset = BinaryPrimitives.ReadUInt64BigEndian(koly.AsSpan(0xd8)),
            PlistLength = BinaryPrimitives.ReadUInt64BigEndian(koly.AsSpan(0xe0)),
            SectorCount = BinaryPrimitives.ReadInt64BigEndian(koly.AsSpan(0x1ec)),
        };
        trailer.Validate();
        return trailer;
    }

    /// <summary>qemu's checks in dmg_open, each an EINVAL without a message of its own.</summary>
    private void Validate()
    {
        ulong bound = (ulong)Position;
        if (DataForkOffset > bound
            || ResourceForkOffset >= bound || ResourceForkLength > bound - ResourceForkOffset
            || PlistOffset >= bound || PlistLength > bound - PlistOffset
            || SectorCount < 0 || SectorCount > long.MaxValue / 512
            || (ResourceForkLength == 0 && PlistLength == 0))
            throw Invalid();
    }

    /// <summary>qemu's bare -EINVAL on open (the device words it with the file name, as qemu's block layer does).</summary>
    public static DmgInvalidException Invalid() => new();
}

/// <summary>qemu's -EINVAL without a message of its own, which qemu-img shows as "Could not open 'F': Invalid argument".</summary>
internal sealed class DmgInvalidException() : ImageException("Invalid argument")
{
    public ImageException WithFile(string filename) => new($"Could not open '{filename}': Invalid argument") { Errno = 22 };
}
