using System.Text;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>
/// A VMDK text descriptor (VMware Virtual Disk Format 5.0, "The Descriptor File") read as qemu 7.2 reads it: as a C
/// string (up to its first NUL byte) searched with strstr and sscanf, not as a key/value file. That is what decides
/// which images open and with which values, so the quirks are kept: a field name is found anywhere (even in a comment),
/// only "RW" extent lines count, ZERO and unknown extent kinds are skipped. LF and CRLF line ends both work because
/// the extent line scan skips whitespace ('\r' included) and the quoted values end at '"'.
/// </summary>
internal sealed class VmdkDescriptor
{
    /// <summary>qemu's vmdk_read_desc reads at most this much of a descriptor (1 MiB - 1, "avoid unbounded allocation").</summary>
    public const int MaxTextSize = (1 << 20) - 1;

    /// <summary>qemu's DESC_SIZE: vmdk_read_cid / vmdk_write_cid / vmdk_parent_open look at 20 sectors from desc_offset.</summary>
    public const int CidAreaSize = 20 * 512;

    /// <summary>qemu's createType buffer (char ct[128]): a longer value is an invalid descriptor.</summary>
    private const int CreateTypeBufferSize = 128;

    /// <summary>qemu's auto_backing_file buffer (PATH_MAX): a longer parentFileNameHint fails the open (EINVAL).</summary>
    private const int BackingNameBufferSize = 4096;

    private VmdkDescriptor(string text) => Text = text;

    /// <summary>The descriptor as qemu sees it: the bytes up to the first NUL, one char per byte.</summary>
    public string Text { get; }

    /// <summary>The descriptor in <paramref name="bytes"/> (qemu NUL-terminates its buffer: text ends at the first NUL).</summary>
    public static VmdkDescriptor FromBytes(ReadOnlySpan<byte> bytes)
    {
        int nul = bytes.IndexOf((byte)0);
        return new VmdkDescriptor(Encoding.Latin1.GetString(nul < 0 ? bytes : bytes[..nul]));
    }

    /// <summary>
    /// qemu's vmdk_parse_description: the first occurrence of <paramref name="name"/>, 2 characters skipped (the
    /// '="' of `name="value"`), then up to the next '"'. Null when absent, unterminated or too long.
    /// </summary>
    public string? Field(string name, int bufferSize = CreateTypeBufferSize)
    {
        int pos = Text.IndexOf(name, StringComparison.Ordinal);
        if (pos < 0) return null;
        pos += name.Length + 2;
        if (pos >= Text.Length) return null;
        int end = Text.IndexOf('"', pos);
        if (end < 0 || bufferSize < end - pos + 1) return null;
        return Text[pos..end];
    }

    /// <summary>The createType value (VMDK 5.0 spec: the disk's type, e.g. monolithicFlat, twoGbMaxExtentSparse); null when unparsable.</summary>
    public string? CreateType => Field("createType");

    /// <summary>
    /// qemu's vmdk_open_desc_file check: only these types are opened from a text descriptor (monolithicSparse and
    /// streamOptimized are single KDMV files, opened by their magic).
    /// </summary>
    public static bool IsDescriptorFileType(string createType) =>
        createType is "monolithicFlat" or "vmfs" or "vmfsSparse" or "seSparse" or "twoGbMaxExtentSparse" or "twoGbMaxExtentFlat";

    /// <summary>
    /// qemu's vmdk_parse_extents: every line that sscanf reads as `ACCESS SECTORS TYPE "FILE" [OFFSET]` with access
    /// RW, sectors &gt; 0 and a kind qemu opens (FLAT, SPARSE, VMFS, VMFSSPARSE, SESPARSE), in order. Other access
    /// modes (RDONLY, NOACCESS), ZERO extents and unknown kinds are skipped as qemu skips them. A FLAT line without
    /// its offset (or with a negative one) and a line of another kind with one is "Invalid extent line". Lazy, so that
    /// the caller opens each extent before the next line is read, in qemu's order of failures.
    /// </summary>
    public IEnumerable<VmdkExtentLine> ExtentLines()
    {
        for (int p = 0; p < Text.Length; p = NextLine(p))
        {
            var scan = new ExtentLineScanner(Text, p);
            int matches = scan.Scan(out string access, out long sectors, out string type, out string file, out long flatOffset);
            if (matches < 4 || access != "RW")
                continue;
            if (type == "FLAT")
            {
                if (matches != 5 || flatOffset < 0) throw InvalidLine(p);
            }
            else if (type == "VMFS")
            {
                if (matches != 4) throw InvalidLine(p);
                flatOffset = 0;
            }
            else if (matches != 4)
            {
                throw InvalidLine(p);
            }
            if (sectors <= 0 || type is not ("FLAT" or "SPARSE" or "VMFS" or "VMFSSPARSE" or "SESPARSE"))
                continue;
            yield return new VmdkExtentLine(access, sectors, type, file, type is "FLAT" or "VMFS" ? flatOffset : -1);
        }
    }

    /// <summary>qemu's next_line: the position after the next '\n', or the end.</summary>
    private int NextLine(int p)
    {
        int nl = Text.IndexOf('\n', p);
        return nl < 0 ? Text.Length : nl + 1;
    }

    private ImageException InvalidLine(int p)
    {
        int np = NextLine(p);
        if (np > p && Text[np - 1] == '\n') np--;
        return new ImageException($"Invalid extent line: {Text[p..np]}");
    }

    /// <summary>
    /// qemu's vmdk_read_cid on the 20 sectors at desc_offset: the hex number after the first "CID" (or "parentCID")
    /// and one more character (the '='). Null when absent or not a number (qemu: EINVAL, the open fails).
    /// </summary>
    public static uint? ReadCid(ReadOnlySpan<byte> area, bool parent)
    {
        string text = FromBytes(area.Length > CidAreaSize - 1 ? area[..(CidAreaSize - 1)] : area).Text;
        string key = parent ? "parentCID" : "CID";
        int pos = text.IndexOf(key, StringComparison.Ordinal);
        if (pos < 0) return null;
        pos += key.Length + 1;
        return CScan.Hex32(text, pos);
    }

    /// <summary>
    /// qemu's vmdk_parent_open: the text between `parentFileNameHint="` and the next '"' (VMDK 5.0 spec: the parent
    /// link of a delta disk). Null without the field; null as well when qemu cannot take it (see <see cref="HasUnreadableParentHint"/>).
    /// </summary>
    public static string? ParentFileNameHint(ReadOnlySpan<byte> area)
    {
        int pos = ParentHintBounds(area, out int end, out string text);
        return pos < 0 || end < 0 ? null : text[pos..end];
    }

    /// <summary>The area has a parentFileNameHint qemu cannot take (unterminated, or longer than its buffer): the open fails with EINVAL.</summary>
    public static bool HasUnreadableParentHint(ReadOnlySpan<byte> area) => ParentHintBounds(area, out int end, out _) >= 0 && end < 0;

    private static int ParentHintBounds(ReadOnlySpan<byte> area, out int end, out string text)
    {
        text = FromBytes(area).Text;
        const string key = "parentFileNameHint";
        end = -1;
        int pos = text.IndexOf(key, StringComparison.Ordinal);
        if (pos < 0) return -1;
        pos += key.Length + 2;
        int e = pos < text.Length ? text.IndexOf('"', pos) : -1;
        if (e >= 0 && e - pos <= BackingNameBufferSize - 1) end = e;
        return pos;
    }

    /// <summary>
    /// qemu's vmdk_write_cid on the 20-sector area (rewritten in place, never appended): after the first "CID" and
    /// one character, the new CID in lowercase hex and a newline, then the text from "parentCID" on (what lay between
    /// is dropped, as qemu drops it); the bytes after the text's new end keep what the area held. Returns false when
    /// the area has no "parentCID" (qemu: EINVAL, the write fails).
    /// </summary>
    public static bool RewriteCid(Span<byte> area, uint cid)
    {
        if (area.Length == 0) return false;
        area[^1] = 0;
        int len = area.IndexOf((byte)0);
        var text = area[..len];
        int parentAt = text.IndexOf("parentCID"u8);
        if (parentAt < 0) return false;
        byte[] tail = text[parentAt..].ToArray();
        int cidAt = text.IndexOf("CID"u8);
        int p = cidAt + 4;
        // snprintf(p, DESC_SIZE - p, "%x\n", cid) then pstrcat(desc, DESC_SIZE, tail): both stop at the area's end
        var value = Encoding.ASCII.GetBytes(cid.ToString("x", System.Globalization.CultureInfo.InvariantCulture) + "\n");
        int room = area.Length - p;
        if (room <= 0) return true;
        int n = Math.Min(value.Length, room - 1);
        value.AsSpan(0, n).CopyTo(area[p..]);
        area[p + n] = 0;
        int end = p + n;
        int m = Math.Min(tail.Length, area.Length - 1 - end);
        if (m > 0)
        {
            tail.AsSpan(0, m).CopyTo(area[end..]);
            area[end + m] = 0;
        }
        return true;
    }
}
