using Block = ImageBuild.Packaging.Tar.TarHeader;

namespace ImageBuild.Oci.Layers;

/// <summary>
/// A tar header as OCI layers use it: the POSIX ustar block of <see cref="Block"/> (ImageBuild.Packaging, where the
/// encoding and its checks live) with that block's defaults, mode 0644, uid/gid 0, mtime 0, empty user and group
/// names, and one rule of the layer encoding: a size octal cannot hold (8 GiB and more) is carried by a PAX "size"
/// record, so the header's own field says 0 rather than GNU's base-256.
/// </summary>
internal sealed class TarHeader
{
    public const int BlockSize = Block.BlockSize;
    public const long MaxOctalSize = Block.MaxOctalSize;
    public const byte RegularType = Block.RegularType;
    public const byte OldRegularType = Block.OldRegularType;
    public const byte DirectoryType = Block.DirectoryType;
    public const byte PaxLocalType = Block.PaxLocalType;

    public required byte[] NameBytes { get; init; }
    public required byte TypeFlag { get; init; }
    public required long Size { get; init; }

    /// <summary>Writes the header; a name longer than the field is cut (the PAX record carries the full name).</summary>
    public void WriteTo(Span<byte> block) =>
        new Block { NameBytes = NameBytes, TypeFlag = TypeFlag, Size = Size > MaxOctalSize ? 0 : Size }.WriteTo(block);

    /// <summary>True when the block is all zeros (an end-of-archive block).</summary>
    public static bool IsZeroBlock(ReadOnlySpan<byte> block) => Block.IsZeroBlock(block);

    /// <summary>Parses a header block (see <see cref="Block.Parse"/>); throws <see cref="InvalidDataException"/> naming <paramref name="source"/>.</summary>
    public static TarHeader Parse(ReadOnlySpan<byte> block, string source)
    {
        Block parsed = Block.Parse(block, source);
        return new TarHeader { NameBytes = parsed.NameBytes, TypeFlag = parsed.TypeFlag, Size = parsed.Size };
    }

    /// <summary>The name as text, for messages (invalid UTF-8 shown with replacement characters).</summary>
    public string NameForDisplay => System.Text.Encoding.UTF8.GetString(NameBytes);
}
