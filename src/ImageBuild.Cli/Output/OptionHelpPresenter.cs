using System.Text;
using ImageBuild.Engine.Options;

namespace ImageBuild.Cli.Output;

/// <summary>qemu's qemu_opts_print_help as "-o help" shows it: options sorted by name, "  %-22s - %s".</summary>
public static class OptionHelpPresenter
{
    public static string TypeName(OptionType t) => t switch
    {
        OptionType.Size => "size",
        OptionType.String => "str",
        OptionType.Number => "num",
        OptionType.Bool => "bool (on/off)",
        _ => "str",
    };

    public static string List(IEnumerable<CreateOption> options)
    {
        var sb = new StringBuilder();
        foreach (var o in options.OrderBy(o => o.Name, StringComparer.Ordinal))
        {
            string head = $"{o.Name}=<{TypeName(o.Type)}>";
            if (string.IsNullOrEmpty(o.Help))
                sb.Append("  ").Append(head).Append('\n');
            else
                sb.Append("  ").Append(head.PadRight(22)).Append(" - ").Append(o.Help).Append('\n');
        }
        return sb.ToString();
    }
}
