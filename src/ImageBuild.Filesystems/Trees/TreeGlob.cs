using System.Text;
using System.Text.RegularExpressions;

namespace ImageBuild.Filesystems.Trees;

/// <summary>
/// A glob over a '/'-separated relative path, with the shell's wildcards and gitignore's "**":
/// <c>*</c> is any run of characters other than '/', <c>?</c> one such character, <c>[abc]</c>, <c>[a-z]</c> and
/// <c>[!a-z]</c> (or <c>[^a-z]</c>) one character of (or not of) a set, and a whole component <c>**</c> any number of
/// components, none included ("**/x" matches "x" and "a/b/x"; "a/**" matches "a" and all below it). Matching is
/// case-sensitive and ordinal; a leading '.' is not special. The whole path must match, in time linear in its length
/// (a non-backtracking regular expression), whatever the pattern.
/// </summary>
public sealed class TreeGlob
{
    private readonly Regex _regex;

    /// <summary>Parses <paramref name="pattern"/>; <see cref="ArgumentException"/> for an empty, absolute or unterminated one.</summary>
    public TreeGlob(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (pattern.Length == 0 || pattern.StartsWith('/'))
            throw new ArgumentException($"glob '{pattern}': a pattern is a non-empty path relative to the tree's root");
        Pattern = pattern;
        _regex = new Regex(Translate(pattern), RegexOptions.CultureInvariant | RegexOptions.Singleline | RegexOptions.NonBacktracking);
    }

    public string Pattern { get; }

    /// <summary>Whether the whole of <paramref name="path"/> matches.</summary>
    public bool IsMatch(string path) => _regex.IsMatch(path);

    private static string Translate(string pattern)
    {
        string[] segments = pattern.TrimEnd('/').Split('/');
        var sb = new StringBuilder("^");
        for (int i = 0; i < segments.Length; i++)
        {
            string seg = segments[i];
            bool last = i == segments.Length - 1;
            if (seg == "**")
            {
                sb.Append((i == 0, last) switch
                {
                    (true, true) => ".*",
                    (true, false) => "(?:.*/)?",
                    (false, true) => "(?:/.*)?",
                    (false, false) => "(?:/.*)?/",
                });
                continue;
            }
            if (i > 0 && segments[i - 1] != "**") sb.Append('/');
            AppendSegment(sb, seg, pattern);
        }
        return sb.Append(@"\z").ToString();
    }

    private static void AppendSegment(StringBuilder sb, string seg, string pattern)
    {
        for (int i = 0; i < seg.Length; i++)
        {
            char c = seg[i];
            switch (c)
            {
                case '*': sb.Append("[^/]*"); break;
                case '?': sb.Append("[^/]"); break;
                case '[':
                    int end = seg.IndexOf(']', i + 2 <= seg.Length ? i + 2 : seg.Length);
                    if (end < 0)
                        throw new ArgumentException($"glob '{pattern}': '[' without its ']'");
                    string set = seg[(i + 1)..end];
                    bool negate = set.Length > 0 && set[0] is '!' or '^';
                    if (negate) set = set[1..];
                    if (set.Length == 0)
                        throw new ArgumentException($"glob '{pattern}': an empty '[]' set");
                    sb.Append(negate ? "[^/" : "[");
                    foreach (char m in set)
                        sb.Append(m == '-' ? "-" : Regex.Escape(m.ToString()).Replace("]", @"\]"));
                    sb.Append(']');
                    i = end;
                    break;
                default: sb.Append(Regex.Escape(c.ToString())); break;
            }
        }
    }
}
