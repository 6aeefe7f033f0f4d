using ImageBuild.Cli.CommandLine;
using ImageBuild.Oci.Distribution;
using ImageBuild.Oci.Registry;

namespace ImageBuild.Cli.Commands;

/// <summary>
/// pull [--plain-http] [--ca-file FILE] [--registry-config FILE] oci://HOST[:PORT]/REPO[:TAG|@DIGEST] DEST
/// (imagebuild's own verb): <see cref="ImageFetcher"/> downloads an image artifact or a containerDisk into DEST,
/// verified, renamed into place only when complete. Prints the paths written, main file first.
/// </summary>
public sealed class PullCommand : ICommand
{
    public string Name => "pull";

    public int Run(CommandContext context, string[] argv)
    {
        var io = context.IO;
        var registry = new RegistryOptions { Warning = io.Warning };
        var g = new GetOpt(argv, ":h", PushCommand.RegistryLongOptions);
        for (int c; (c = g.Next()) != GetOpt.End;)
        {
            if (c == 'h')
                return PushCommand.PrintHelp(io, Name);
            registry = PushCommand.ParseRegistryOption(c, g, registry);
        }
        if (g.Operands.Count != 2)
            throw new UsageException("Expecting an oci:// reference and a destination");
        var reference = PushCommand.ParseReference(g.Operands[0]);
        string destination = g.Operands[1];
        return PushCommand.Execute(io, reference.ToString(), async ct =>
        {
            using var client = new RegistryClient(reference, registry);
            var pulled = await new ImageFetcher(client).PullAsync(reference, destination, ct).ConfigureAwait(false);
            foreach (string path in pulled.Paths)
                io.Print(path + "\n");
            return 0;
        });
    }
}
