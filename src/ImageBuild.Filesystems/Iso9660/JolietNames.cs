using System.Text;

namespace ImageBuild.Filesystems.Iso9660;

/// <summary>
/// Identifiers of the Joliet hierarchy (Joliet specification, 1995): the name in UCS-2 big endian, at most 64
/// characters; '*', '/', ':', ';', '?', '\' and control characters become '_'. Longer names are truncated to 64
/// characters as genisoimage does (Rock Ridge keeps the full name); no version ";1" is appended. Names that clash
/// within a directory after truncation get a "~N" tail.
/// </summary>
internal static class JolietNames
{
    public const int MaxChars = 64;

    public static List<string> Assign(IReadOnlyList<string> names)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var next = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new List<string>(names.Count);
        foreach (string name in names)
        {
            string mapped = Map(name);
            string candidate = Fit(mapped, MaxChars);
            string key = candidate;
            for (int n = next.GetValueOrDefault(key, 1); !used.Add(candidate); n++)
            {
                next[key] = n + 1;
                string tail = "~" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
                candidate = Fit(mapped, MaxChars - tail.Length) + tail;
            }
            result.Add(candidate);
        }
        return result;
    }

    /// <summary>Joliet orders identifiers by their UCS-2 code units, as ECMA-119 9.3 orders bytes.</summary>
    public static int Compare(string a, string b) => string.CompareOrdinal(a, b);

    public static byte[] Bytes(string id) => Encoding.BigEndianUnicode.GetBytes(id);

    private static string Fit(string s, int max)
    {
        if (s.Length <= max) return s;
        if (char.IsHighSurrogate(s[max - 1])) max--;
        return s[..max];
    }

    private static string Map(string s)
    {
        var b = new StringBuilder(s.Length);
        foreach (char c in s) b.Append(c < 0x20 || c is '*' or '/' or ':' or ';' or '?' or '\\' ? '_' : c);
        return b.ToString();
    }
}
