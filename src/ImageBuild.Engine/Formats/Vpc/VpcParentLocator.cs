using System.Buffers.Binary;
using System.Text;

namespace ImageBuild.Engine.Formats.Vpc;

/// <summary>
/// One of the eight 24-byte parent locator entries of the dynamic disk header (VHD specification, "Parent Locator
/// Entries"): platform code, platform data space, platform data length, reserved, platform data offset. The data it
/// points at names the parent of a differencing disk in the platform's form.
/// </summary>
internal readonly record struct VpcParentLocator(uint PlatformCode, uint DataSpace, uint DataLength, ulong DataOffset)
{
    public const int Size = 24;

    /// <summary>None: the entry is unused.</summary>
    public const uint None = 0;

    /// <summary>"Wi2r" (deprecated): a relative Windows path.</summary>
    public const uint Wi2r = 0x5769_3272;

    /// <summary>"Wi2k" (deprecated): an absolute Windows path.</summary>
    public const uint Wi2k = 0x5769_326B;

    /// <summary>"W2ru": a relative Windows path in UTF-16 (little-endian).</summary>
    public const uint W2ru = 0x5732_7275;

    /// <summary>"W2ku": an absolute Windows path in UTF-16 (little-endian).</summary>
    public const uint W2ku = 0x5732_6B75;

    /// <summary>"Mac ": a Mac OS alias (a binary record; not a path, ignored).</summary>
    public const uint Mac = 0x4D61_6320;

    /// <summary>"MacX": a file URL in UTF-8.</summary>
    public const uint MacX = 0x4D61_6358;

    /// <summary>Longest locator data read (a path of the longest Windows extended length in UTF-16).</summary>
    public const int MaxDataLength = 64 * 1024;

    public static VpcParentLocator Parse(ReadOnlySpan<byte> b) => new(
        BinaryPrimitives.ReadUInt32BigEndian(b),
        BinaryPrimitives.ReadUInt32BigEndian(b[4..]),
        BinaryPrimitives.ReadUInt32BigEndian(b[8..]),
        BinaryPrimitives.ReadUInt64BigEndian(b[16..]));

    public void WriteTo(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32BigEndian(b, PlatformCode);
        BinaryPrimitives.WriteUInt32BigEndian(b[4..], DataSpace);
        BinaryPrimitives.WriteUInt32BigEndian(b[8..], DataLength);
        BinaryPrimitives.WriteUInt32BigEndian(b[12..], 0);
        BinaryPrimitives.WriteUInt64BigEndian(b[16..], DataOffset);
    }

    /// <summary>Whether the entry names a path this driver reads (every code but None and the Mac alias).</summary>
    public bool IsPath => PlatformCode is W2ru or W2ku or Wi2r or Wi2k or MacX;

    /// <summary>The four-letter platform code as text ("W2ru").</summary>
    public string CodeText
    {
        get
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(b, PlatformCode);
            return Encoding.ASCII.GetString(b);
        }
    }

    /// <summary>The locator's data decoded as the platform stores it: UTF-16LE for W2ru/W2ku, UTF-8 otherwise; NULs trimmed.</summary>
    public string Decode(ReadOnlySpan<byte> data)
    {
        string text = PlatformCode is W2ru or W2ku
            ? Encoding.Unicode.GetString(data[..(data.Length & ~1)])
            : Encoding.UTF8.GetString(data);
        int nul = text.IndexOf('\0', StringComparison.Ordinal);
        return nul >= 0 ? text[..nul] : text;
    }
}
