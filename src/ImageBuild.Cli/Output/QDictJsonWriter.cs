using ImageBuild.Engine.Block;
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

    /// <summary>qemu's quoted_str (<see cref="QemuJsonText.AppendQuoted"/>).</summary>
    public static void AppendQuoted(StringBuilder sb, string s) => QemuJsonText.AppendQuoted(sb, s);
}
