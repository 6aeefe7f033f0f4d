using System.Globalization;
using System.Text;

namespace ImageBuild.Engine.Block;

/// <summary>JSON text as qemu writes it (qobject_to_json): json: filenames here, info and check output in the CLI.</summary>
public static class QemuJsonText
{
    /// <summary>qemu's quoted_str: short escapes for " \ \b \f \n \r \t, \uXXXX outside 0x20..0x7E.</summary>
    public static void AppendQuoted(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (Rune r in s.EnumerateRunes())
        {
            int cp = r.Value;
            switch (cp)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (cp > 0xFFFF)
                        sb.Append(CultureInfo.InvariantCulture, $"\\u{0xD800 + ((cp - 0x10000) >> 10):X4}\\u{0xDC00 + ((cp - 0x10000) & 0x3FF):X4}");
                    else if (cp < 0x20 || cp >= 0x7F)
                        sb.Append(CultureInfo.InvariantCulture, $"\\u{cp:X4}");
                    else
                        sb.Append((char)cp);
                    break;
            }
        }
        sb.Append('"');
    }
}
