using System.Text;

namespace ImageBuild.Cli.CommandLine;

/// <summary>
/// qemu's "-o name=value,..." lists (QemuOpts syntax): ",," is a literal comma inside a value, a bare "name" means
/// name=on and "noname" name=off, several -o options are joined with ",".
/// </summary>
public static class OptionList
{
    /// <summary>qemu-img's is_valid_option_list: not empty, not starting with ',', no odd run of trailing commas.</summary>
    public static bool IsValid(string list)
    {
        if (list.Length == 0 || list[0] == ',') return false;
        int i = list.Length;
        while (i > 0 && list[i - 1] == ',') i--;
        return (list.Length - i) % 2 == 0;
    }

    /// <summary>qemu-img's accumulate_options: validates and appends one -o argument; false (after the error) when invalid.</summary>
    public static string Accumulate(CliIO io, string? options, string arg)
    {
        if (!IsValid(arg))
        {
            io.Error($"Invalid option list: {arg}");
            throw new CommandExitException(1);
        }
        return options is null ? arg : options + "," + arg;
    }

    /// <summary>qemu's has_help_option: some element of the list (commas unescaped) is "help" or "?".</summary>
    public static bool HasHelp(string list)
    {
        int p = 0;
        while (p < list.Length)
        {
            p = ReadValue(list, p, out string value);
            if (p < list.Length) p++;
            if (value is "help" or "?") return true;
        }
        return false;
    }

    /// <summary>
    /// Splits a list into name/value pairs as qemu's opts_do_parse does (without an implied first name). "id" is
    /// the list's identity in QemuOpts, not an option, so it is dropped unless <paramref name="keepId"/>.
    /// </summary>
    public static List<KeyValuePair<string, string>> Parse(string list, bool keepId = false)
    {
        var result = new List<KeyValuePair<string, string>>();
        int p = 0;
        while (p < list.Length)
        {
            int len = 0;
            while (p + len < list.Length && list[p + len] is not ('=' or ',')) len++;
            string name = list.Substring(p, len);
            string value;
            p += len;
            if (p < list.Length && list[p] == '=')
            {
                p = ReadValue(list, p + 1, out value);
            }
            else if (name.StartsWith("no", StringComparison.Ordinal))
            {
                name = name[2..];
                value = "off";
            }
            else
            {
                value = "on";
            }
            if (p < list.Length && list[p] == ',') p++;
            if (name == "id" && !keepId) continue;
            result.Add(new(name, value));
        }
        return result;
    }

    /// <summary>qemu's get_opt_value: up to the next single comma, ",," standing for ','.</summary>
    internal static int ReadValue(string s, int p, out string value)
    {
        var sb = new StringBuilder();
        while (p < s.Length)
        {
            if (s[p] == ',')
            {
                if (p + 1 < s.Length && s[p + 1] == ',')
                {
                    sb.Append(',');
                    p += 2;
                    continue;
                }
                break;
            }
            sb.Append(s[p++]);
        }
        value = sb.ToString();
        return p;
    }
}
