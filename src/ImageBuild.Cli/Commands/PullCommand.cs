using ImageBuild.Cli.CommandLine;
using ImageBuild.Oci.Distribution;
using ImageBuild.Oci.Registry;

namespace ImageBuild.Cli.Commands;

/// <summary>
/// pull [--plain-http] [--ca-file FILE] [--registry-config FILE] [--arch ARCH] oci://HOST[:PORT]/REPO[:TAG|@DIGEST] DEST
/// (imagebuild's own verb): <see cref="ImageFetcher"/> downloads an image artifact or a containerDisk into DEST,
/// verified, renamed into place only when complete; from an image index, the linux/ARCH manifest (default amd64). Prints the paths written, main file first.
/// </summary>
public sealed class PullCommand : ICommand
{
    public string Name => "pull";

    private static readonly LongOption[] LongOptions =
    [
        .. PushCommand.RegistryLongOptions,
        new("arch", ArgKind.Required, PushCommand.OptionArch),
    ];

    public int Run(CommandContext context, string[] argv)
    {
        var io = context.IO;
        var registry = new RegistryOptions { Warning = io.Warning };
        string architecture = ContainerDisk.DefaultArchitecture;
        var g = new GetOpt(argv, ":h", LongOptions);
        for (int c; (c = g.Next()) != GetOpt.End;)
        {
            switch (c)
            {
                case 'h': return PushCommand.PrintHelp(io, Name);
                case PushCommand.OptionArch: architecture = g.Optarg!; break;
                default: registry = PushCommand.ParseRegistryOption(c, g, registry); break;
            }
        }
        if (g.Operands.Count != 2)
            throw new UsageException("Expecting an oci:// reference and a destination");
        var reference = PushCommand.ParseReference(g.Operands[0]);
        string destination = g.Operands[1];
        return PushCommand.Execute(io, reference.ToString(), async ct =>
        {
            using var client = new RegistryClient(reference, registry);
            var pulled = await new ImageFetcher(client).PullAsync(reference, destination, ct, architecture).ConfigureAwait(false);
            foreach (string path in pulled.Paths)
                io.Print(path + "\n");
            return 0;
        });
    }
}
