using System.Globalization;
using System.Text;
using ImageBuild.Engine.Info;

namespace ImageBuild.Cli.Output;

/// <summary>
/// qemu's human dump of QAPI data (block/qapi.c dump_qdict/dump_qlist), as info prints the
/// "Format specific information": QDict order, '-' in keys shown as spaces, scalars as "key: value",
/// containers as "key:" with their members 4 spaces deeper, list items as "[i]:". Strings are printed raw.
/// </summary>
public static class QObjectHumanDumper
{
    public static string Dump(object value, int indentation)
    {
        var sb = new StringBuilder();
        DumpValue(sb, indentation, value);
        return sb.ToString();
    }

    private static bool IsComposite(object v) => v is QapiObject || (v is System.Collections.IEnumerable && v is not string);

    private static void DumpValue(StringBuilder sb, int indentation, object value)
    {
        switch (value)
        {
            case QapiObject dict:
                foreach (var (key, v) in TdbHash.Order(dict))
                {
                    bool composite = IsComposite(v);
                    sb.Append(' ', indentation * 4).Append(key.Replace('-', ' ')).Append(':').Append(composite ? '\n' : ' ');
                    DumpValue(sb, indentation + 1, v);
                    if (!composite) sb.Append('\n');
                }
                break;
            case string s:
                sb.Append(s);
                break;
            case bool b:
                sb.Append(b ? "true" : "false");
                break;
            case long or int or ulong or uint:
                sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
            case System.Collections.IEnumerable list:
                int i = 0;
                foreach (object item in list)
                {
                    bool composite = IsComposite(item);
                    sb.Append(' ', indentation * 4).Append('[').Append(i.ToString(CultureInfo.InvariantCulture)).Append("]:").Append(composite ? '\n' : ' ');
                    DumpValue(sb, indentation + 1, item);
                    if (!composite) sb.Append('\n');
                    i++;
                }
                break;
            default:
                throw new ArgumentException($"unsupported value type {value.GetType().Name}");
        }
    }
}
