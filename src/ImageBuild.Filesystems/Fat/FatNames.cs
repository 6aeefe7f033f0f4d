namespace ImageBuild.Filesystems.Fat;

/// <summary>
/// Which names FAT can hold. Long names follow fatgen103 "FAT Long Directory Entries": at most 255 UTF-16 units, none
/// of <c>" * / : &lt; &gt; ? \ |</c> or control characters, no trailing dots or spaces (Windows strips them, so such a
/// name could not be opened). Short names and the volume label use the OEM set: upper-case letters, digits and
/// <c>! # $ % &amp; ' ( ) - @ ^ _ ` { } ~</c> (here ASCII only, so the result does not depend on a code page).
/// </summary>
internal static class FatNames
{
    public const int MaxLongName = 255;
    private const string ShortPunctuation = "!#$%&'()-@^_`{}~";

    public static bool IsShortNameChar(char c) => c is >= 'A' and <= 'Z' or >= '0' and <= '9' || ShortPunctuation.Contains(c);

    /// <summary>Throws an <see cref="IOException"/> naming <paramref name="path"/> when FAT cannot hold its last component.</summary>
    public static void CheckLongName(string name, string path)
    {
        if (name.Length > MaxLongName)
            throw new IOException($"'{path}': the name is {name.Length} UTF-16 units long; FAT holds at most {MaxLongName}");
        foreach (char c in name)
        {
            if (c < 0x20 || c == 0x7F || "\"*/:<>?\\|".Contains(c))
                throw new IOException($"'{path}': FAT names cannot contain {(c < 0x20 || c == 0x7F ? $"control character U+{(int)c:X4}" : $"'{c}'")}");
        }
        if (name[^1] is '.' or ' ')
            throw new IOException($"'{path}': FAT names cannot end with a dot or a space");
    }

    /// <summary>The label as the 11 bytes of BS_VolLab and the root's volume entry; throws when FAT's label set cannot hold it.</summary>
    public static byte[] LabelBytes(string label)
    {
        if (label.Length is 0 or > 11 || label[0] == ' ' || label.Any(c => c != ' ' && !IsShortNameChar(c)))
            throw new ArgumentException($"FAT volume label '{label}': 1 to 11 characters from A-Z, 0-9, space (not first) and !#$%&'()-@^_`{{}}~");
        var bytes = new byte[11];
        bytes.AsSpan().Fill((byte)' ');
        for (int i = 0; i < label.Length; i++) bytes[i] = (byte)label[i];
        return bytes;
    }
}
