using ImageBuild.Cli.CommandLine;
using ImageBuild.Cli.Output;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;

namespace ImageBuild.Cli.Commands;

/// <summary>qemu-img's print_block_option_help, shared by create and convert ("-o help").</summary>
public static class OptionHelp
{
    public static int Print(CommandContext context, string? filename, string fmt)
    {
        var io = context.IO;
        ImageFormat? format = context.Engine.Formats.Find(fmt);
        if (format is null)
        {
            io.Error($"Unknown file format '{fmt}'");
            return 1;
        }
        if (format is UnsupportedFormat unsupported)
        {
            io.Error(unsupported.Refusal(filename).Message);
            return 1;
        }
        if (!format.SupportsCreate)
        {
            io.Error($"Format driver '{fmt}' does not support image creation");
            return 1;
        }
        if (filename is not null)
        {
            if (ProtocolPrefix(filename) is { } proto)
            {
                io.Error($"Unknown protocol '{proto}'");
                return 1;
            }
            io.Print("Supported options:\n");
            io.Print(OptionHelpPresenter.List(ImageCreator.AllCreateOptions(format)));
        }
        else
        {
            io.Print($"Supported {fmt} options:\n");
            io.Print(OptionHelpPresenter.List(format.CreateOptions!));
            io.Print("\nThe protocol level may support further options.\nSpecify the target filename to include those options.\n");
        }
        return 0;
    }

    /// <summary>A "proto:" prefix other than file: (which imagebuild does not support), as qemu's bdrv_find_protocol sees it.</summary>
    private static string? ProtocolPrefix(string filename)
    {
        int colon = filename.IndexOf(':');
        if (colon <= 0) return null;
        int slash = filename.IndexOf('/');
        if (slash >= 0 && slash < colon) return null;
        string proto = filename[..colon];
        return proto == "file" ? null : proto;
    }
}
