using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Dmg;

/// <summary>
/// The block tables in the XML property list form (UDIF's usual one): every &lt;data&gt; element holds a base64 blob,
/// offered to <see cref="BlkxTable"/>, which keeps the block tables. Like qemu's dmg_read_plist_xml this is a scan
/// for the element's tags, not an XML parse: nesting depth costs nothing, the list may be at most 16 MiB, the text
/// ends at its first NUL byte, and an element left open is refused (EINVAL).
/// </summary>
internal static class XmlPlist
{
    private static ReadOnlySpan<byte> Open => "<data>"u8;
    private static ReadOnlySpan<byte> Close => "</data>"u8;

    public static void Read(HostFile file, ulong begin, ulong length, DmgTableBuilder builder)
    {
        if (length == 0 || length > DmgLimits.MaxPlistLength) throw UdifTrailer.Invalid();
        // 16 MiB at most, outside the managed heap (no managed array reaches 16 MiB)
        using var buffer = new NativeBuffer((long)length);
        var text = buffer.Span;
        file.Read((long)begin, text);
        int nul = text.IndexOf((byte)0);
        if (nul >= 0) text = text[..nul];
        while (true)
        {
            int open = text.IndexOf(Open);
            if (open < 0) return;
            text = text[(open + Open.Length)..];
            int close = text.IndexOf(Close);
            if (close < 0) throw UdifTrailer.Invalid();
            byte[] blob = LenientBase64.Decode(text[..close]);
            BlkxTable.Read((pos, dest) => blob.AsSpan((int)pos, dest.Length).CopyTo(dest), blob.Length, builder);
            text = text[(close + 1)..];
        }
    }
}
