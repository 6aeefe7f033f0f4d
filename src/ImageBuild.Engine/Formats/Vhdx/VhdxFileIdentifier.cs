using System.Text;

namespace ImageBuild.Engine.Formats.Vhdx;

/// <summary>
/// The file type identifier (VHDX 1.0 §2.2.1): the first 64 KiB of the file; signature "vhdxfile" at offset 0 and
/// a UTF-16LE creator string of up to 256 characters at offset 8 (diagnostic only, never read back by qemu).
/// </summary>
internal static class VhdxFileIdentifier
{
    public const int Size = 64 << 10;
    public const int CreatorOffset = 8;
    public const int CreatorBytes = 512;

    public static ReadOnlySpan<byte> Signature => "vhdxfile"u8;

    /// <summary>
    /// What the creator field holds in images we write: qemu-img 7.2 writes "QEMU v" and its full package version
    /// (the oracle here writes "QEMU v7.2.22"); we write the same so that create and convert output is byte-identical
    /// to the oracle's, which is what the tests compare. The field is free text (§2.2.1: "may be used to identify the
    /// software that created the file"), no reader interprets it.
    /// </summary>
    public const string Creator = "QEMU v7.2.22";

    public static bool HasSignature(ReadOnlySpan<byte> first8) => first8.Length >= 8 && first8[..8].SequenceEqual(Signature);

    /// <summary>The signature and the creator (qemu writes the string without a terminator, the rest zeros).</summary>
    public static byte[] Serialize(string creator)
    {
        var block = new byte[CreatorOffset + CreatorBytes];
        Signature.CopyTo(block);
        Encoding.Unicode.GetBytes(creator.AsSpan(0, Math.Min(creator.Length, CreatorBytes / 2)), block.AsSpan(CreatorOffset));
        return block;
    }

    /// <summary>The creator string as stored (up to its first NUL).</summary>
    public static string ReadCreator(ReadOnlySpan<byte> block)
    {
        var s = Encoding.Unicode.GetString(block.Slice(CreatorOffset, CreatorBytes));
        int nul = s.IndexOf('\0');
        return nul < 0 ? s : s[..nul];
    }
}
