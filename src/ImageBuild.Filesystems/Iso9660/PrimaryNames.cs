using System.Text;

namespace ImageBuild.Filesystems.Iso9660;

/// <summary>
/// File and directory identifiers of the primary hierarchy under ECMA-119 level 3 rules (7.5, 7.6), as
/// <c>genisoimage -R</c> makes them readable beside Rock Ridge names: d-characters only (A-Z, 0-9, '_'; lower case is
/// upper-cased, anything else becomes '_'), a file identifier "NAME.EXT;1" with NAME and EXT of at most 30 characters
/// together, a directory identifier of at most 31. Names that clash within a directory get a "_N" tail (still d-characters).
/// </summary>
internal static class PrimaryNames
{
    public static List<string> Assign(IReadOnlyList<(string Name, bool IsDirectory)> children)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var next = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new List<string>(children.Count);
        foreach (var (name, isDir) in children)
        {
            (string stem, string ext) = Split(name, isDir);
            int stemMax = isDir ? 31 : 30 - ext.Length;
            string candidate = Compose(Fit(stem, stemMax), ext, isDir);
            string key = candidate;
            for (int n = next.GetValueOrDefault(key, 1); !used.Add(candidate); n++)
            {
                next[key] = n + 1;
                string tail = "_" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
                candidate = Compose(Fit(stem, stemMax - tail.Length) + tail, ext, isDir);
            }
            result.Add(candidate);
        }
        return result;
    }

    /// <summary>ECMA-119 9.3: by name, then extension (both as if padded with spaces), then version.</summary>
    public static int Compare(string a, string b)
    {
        var (an, ae) = Parts(a);
        var (bn, be) = Parts(b);
        int c = string.CompareOrdinal(an, bn);
        return c != 0 ? c : string.CompareOrdinal(ae, be);
    }

    private static (string, string) Parts(string id)
    {
        int semi = id.IndexOf(';');
        if (semi >= 0) id = id[..semi];
        int dot = id.IndexOf('.');
        return dot < 0 ? (id, "") : (id[..dot], id[(dot + 1)..]);
    }

    private static (string Stem, string Ext) Split(string name, bool isDir)
    {
        int dot = name.LastIndexOf('.');
        if (isDir || dot <= 0) return (Map(name), "");
        string ext = Map(name[(dot + 1)..]);
        return (Map(name[..dot]), ext.Length > 8 ? ext[..8] : ext);
    }

    private static string Fit(string stem, int max) => stem.Length > max ? stem[..max] : stem.Length == 0 ? "_" : stem;

    private static string Compose(string stem, string ext, bool isDir) => isDir ? stem : stem + "." + ext + ";1";

    private static string Map(string s)
    {
        var b = new StringBuilder(s.Length);
        foreach (char c in s)
            b.Append(c is >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' ? c : c is >= 'a' and <= 'z' ? (char)(c - 32) : '_');
        return b.ToString();
    }

    public static byte[] Bytes(string id) => Encoding.ASCII.GetBytes(id);
}
