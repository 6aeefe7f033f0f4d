using System.Text;

namespace ImageBuild.Packaging.Tar;

/// <summary>
/// The member names <see cref="DeterministicTarWriter"/> accepts: plain relative paths of printable ASCII (no
/// leading "/", no empty, "." or ".." component, no trailing "/", no backslash), that fit the header. Gnu: at most
/// 100 bytes, the name field. Ustar: at most 100 bytes, or split at a "/" into a prefix of at most 155 bytes and a
/// name of at most 100 (POSIX ustar; the split is GNU tar's, the longest prefix that fits), so every member is one
/// header, with no GNU long-name or PAX member a strict ustar reader would see as a file.
/// </summary>
internal sealed class TarMemberName
{
    private TarMemberName(byte[] name, byte[] prefix)
    {
        Name = name;
        Prefix = prefix;
    }

    /// <summary>The name field's bytes.</summary>
    public byte[] Name { get; }

    /// <summary>The prefix field's bytes (Ustar only; empty when the name fits the name field).</summary>
    public byte[] Prefix { get; }

    /// <summary>Checks and splits <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">One line saying why the name cannot be a member.</exception>
    public static TarMemberName Parse(string name, TarFormat format)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Problem(name) is { } problem)
            throw new ArgumentException($"tar member name '{Printable(name)}' {problem}");
        byte[] bytes = Encoding.ASCII.GetBytes(name);
        if (bytes.Length <= TarHeader.NameLength) return new TarMemberName(bytes, []);
        if (format == TarFormat.Gnu)
            throw new ArgumentException($"tar member name '{name}' is {bytes.Length} bytes; the GNU format's name field holds {TarHeader.NameLength}");
        // The last "/" within the first 156 bytes: the longest prefix (at most 155 bytes) before it.
        int slash = Array.LastIndexOf(bytes, (byte)'/', Math.Min(bytes.Length - 1, TarHeader.PrefixLength));
        if (slash <= 0 || bytes.Length - slash - 1 > TarHeader.NameLength)
            throw new ArgumentException($"tar member name '{name}' is {bytes.Length} bytes and cannot be split into a ustar prefix of at most {TarHeader.PrefixLength} and a name of at most {TarHeader.NameLength}");
        return new TarMemberName(bytes[(slash + 1)..], bytes[..slash]);
    }

    private static string? Problem(string name)
    {
        if (name.Length == 0) return "is empty";
        foreach (char c in name)
            if (c is < ' ' or > '~') return "has a character other than printable ASCII";
        if (name.Contains('\\', StringComparison.Ordinal)) return "has a backslash";
        if (name[0] == '/') return "is absolute";
        if (name[^1] == '/') return "ends with '/'";
        foreach (string part in name.Split('/'))
            if (part is "" or "." or "..") return $"has a '{part}' component";
        return null;
    }

    private static string Printable(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (char c in name) text.Append(c is < ' ' or > '~' ? '?' : c);
        return text.ToString();
    }
}
