using System.Globalization;
using System.Text;
using ImageBuild.Engine.Info;

namespace ImageBuild.Cli.Output;

/// <summary>
/// qemu's pretty JSON writer (qobject_to_json_pretty) over QAPI objects: dict members in QDict hash order,
/// 4-space indentation, "key": value, empty containers as an opening bracket, a newline at the parent
/// indentation and the closing bracket, strings escaped with uppercase \uXXXX for anything outside ASCII 0x20..0x7E.
/// Values: string, long, int, ulong, bool, <see cref="QapiObject"/>, IEnumerable&lt;object&gt;.
/// </summary>
public sealed class QDictJsonWriter
{
    private readonly StringBuilder _sb = new();
    private int _depth;
    private bool _needComma;

    /// <summary>The pretty JSON of a value, without a trailing newline (qemu-img prints it with "%s\n").</summary>
    public static string Serialize(object value)
    {
        var w = new QDictJsonWriter();
        w.WriteValue(null, value);
        return w._sb.ToString();
    }

    private void Newline() => _sb.Append('\n').Append(' ', 4 * _depth);

    private void CommaName(string? name)
    {
        if (_needComma)
        {
            _sb.Append(',');
            Newline();
        }
        else
        {
            if (_sb.Length > 0) Newline();
            _needComma = true;
        }
        if (name is not null)
        {
            AppendQuoted(_sb, name);
            _sb.Append(": ");
        }
    }

    private void WriteValue(string? name, object value)
    {
        switch (value)
        {
            case QapiObject obj:
                CommaName(name);
                _sb.Append('{');
                _depth++;
                _needComma = false;
                foreach (var (k, v) in TdbHash.Order(obj))
                    WriteValue(k, v);
                _depth--;
                Newline();
                _sb.Append('}');
                _needComma = true;
                break;
            case string s:
                CommaName(name);
                AppendQuoted(_sb, s);
                break;
            case bool b:
                CommaName(name);
                _sb.Append(b ? "true" : "false");
                break;
            case long or int or ulong or uint:
                CommaName(name);
                _sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
            case System.Collections.IEnumerable list:
                CommaName(name);
                _sb.Append('[');
                _depth++;
                _needComma = false;
                foreach (object item in list)
                    WriteValue(null, item);
                _depth--;
                Newline();
                _sb.Append(']');
                _needComma = true;
                break;
            default:
                throw new ArgumentException($"unsupported JSON value type {value.GetType().Name}");
        }
    }

    /// <summary>qemu's quoted_str: short escapes for " \ \b \f \n \r \t, \uXXXX (uppercase) outside 0x20..0x7E.</summary>
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
