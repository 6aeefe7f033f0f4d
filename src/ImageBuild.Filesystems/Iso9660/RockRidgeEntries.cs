using System.Text;

namespace ImageBuild.Filesystems.Iso9660;

/// <summary>
/// System Use entries of SUSP (IEEE P1281) and Rock Ridge RRIP 1.09 (IEEE P1282, identifier "RRIP_1991A"):
/// SP (SUSP 5.3), CE (5.1), ER (5.5), PX (RRIP 4.1.1, 36 bytes), TF (4.1.6, short dates), NM (4.1.4) and SL (4.1.3).
/// Each entry is at most 255 bytes; longer names and link targets span several NM or SL entries with CONTINUE set.
/// </summary>
internal static class RockRidgeEntries
{
    public const int CeLength = 28;
    private const int MaxEntry = 255;

    public const int IfDir = 0x4000, IfReg = 0x8000, IfLnk = 0xA000;

    public static byte[] Sp() => [(byte)'S', (byte)'P', 7, 1, 0xBE, 0xEF, 0];

    public static byte[] Er()
    {
        byte[] id = Encoding.ASCII.GetBytes("RRIP_1991A");
        byte[] des = Encoding.ASCII.GetBytes("THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS");
        byte[] src = Encoding.ASCII.GetBytes("PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  SEE PUBLISHER IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION.");
        var e = new byte[8 + id.Length + des.Length + src.Length];
        e[0] = (byte)'E'; e[1] = (byte)'R'; e[2] = (byte)e.Length; e[3] = 1;
        e[4] = (byte)id.Length; e[5] = (byte)des.Length; e[6] = (byte)src.Length; e[7] = 1;
        id.CopyTo(e, 8); des.CopyTo(e, 8 + id.Length); src.CopyTo(e, 8 + id.Length + des.Length);
        return e;
    }

    public static byte[] Px(int mode, int links, int uid, int gid)
    {
        var e = new byte[36];
        e[0] = (byte)'P'; e[1] = (byte)'X'; e[2] = 36; e[3] = 1;
        IsoFields.Both32(e.AsSpan(4), (uint)mode);
        IsoFields.Both32(e.AsSpan(12), (uint)links);
        IsoFields.Both32(e.AsSpan(20), (uint)uid);
        IsoFields.Both32(e.AsSpan(28), (uint)gid);
        return e;
    }

    /// <summary>TF with modification, access and attribute-change times, all the same date.</summary>
    public static byte[] Tf(DateTime t)
    {
        var e = new byte[5 + 3 * 7];
        e[0] = (byte)'T'; e[1] = (byte)'F'; e[2] = (byte)e.Length; e[3] = 1; e[4] = 0x02 | 0x04 | 0x08;
        for (int i = 0; i < 3; i++) IsoFields.Date7(e.AsSpan(5 + 7 * i), t);
        return e;
    }

    public static IEnumerable<byte[]> Nm(string name)
    {
        byte[] b = Encoding.UTF8.GetBytes(name);
        const int room = MaxEntry - 5;
        for (int at = 0; at == 0 || at < b.Length; at += room)
        {
            int n = Math.Min(room, b.Length - at);
            var e = new byte[5 + n];
            e[0] = (byte)'N'; e[1] = (byte)'M'; e[2] = (byte)e.Length; e[3] = 1;
            e[4] = (byte)(at + n < b.Length ? 1 : 0);
            b.AsSpan(at, n).CopyTo(e.AsSpan(5));
            yield return e;
        }
    }

    /// <summary>SL: the target's components ('/' as ROOT, "." CURRENT, ".." PARENT), split over entries as needed.</summary>
    public static List<byte[]> Sl(string target)
    {
        var components = new List<byte[]>();
        if (target.StartsWith('/')) components.Add([0x08, 0]);
        foreach (string part in target.Split('/'))
        {
            if (part.Length == 0) continue;
            if (part == ".") { components.Add([0x02, 0]); continue; }
            if (part == "..") { components.Add([0x04, 0]); continue; }
            byte[] b = Encoding.UTF8.GetBytes(part);
            const int room = MaxEntry - 5 - 2;
            for (int at = 0; at < b.Length; at += room)
            {
                int n = Math.Min(room, b.Length - at);
                var c = new byte[2 + n];
                c[0] = (byte)(at + n < b.Length ? 1 : 0); c[1] = (byte)n;
                b.AsSpan(at, n).CopyTo(c.AsSpan(2));
                components.Add(c);
            }
        }
        var entries = new List<List<byte[]>> { new() };
        int used = 5;
        foreach (var c in components)
        {
            if (used + c.Length > MaxEntry) { entries.Add([]); used = 5; }
            entries[^1].Add(c);
            used += c.Length;
        }
        var result = new List<byte[]>();
        for (int i = 0; i < entries.Count; i++)
        {
            int len = 5 + entries[i].Sum(c => c.Length);
            var e = new byte[len];
            e[0] = (byte)'S'; e[1] = (byte)'L'; e[2] = (byte)len; e[3] = 1; e[4] = (byte)(i < entries.Count - 1 ? 1 : 0);
            int at = 5;
            foreach (var c in entries[i]) { c.CopyTo(e, at); at += c.Length; }
            result.Add(e);
        }
        return result;
    }

    public static byte[] Ce(long block, int offset, int length)
    {
        var e = new byte[CeLength];
        e[0] = (byte)'C'; e[1] = (byte)'E'; e[2] = CeLength; e[3] = 1;
        IsoFields.Both32(e.AsSpan(4), block);
        IsoFields.Both32(e.AsSpan(12), offset);
        IsoFields.Both32(e.AsSpan(20), length);
        return e;
    }
}
