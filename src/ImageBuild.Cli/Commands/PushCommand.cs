using System.ComponentModel;
using System.Runtime.InteropServices;
using ImageBuild.Cli.CommandLine;
using ImageBuild.Engine.Block;
using ImageBuild.Oci.Distribution;
using ImageBuild.Oci.Registry;
using ImageBuild.Recipes.Execution;
using static ImageBuild.Cli.CommandLine.CommonArgs;

namespace ImageBuild.Cli.Commands;

/// <summary>
/// push [--plain-http] [--ca-file FILE] [--registry-config FILE] [-f FMT] [--containerdisk [--arch ARCH]] FILE oci://HOST[:PORT]/REPO[:TAG]
/// (imagebuild's own verb): the engine opens the image (metadata only, shared) to learn its format, virtual size
/// and files; <see cref="ImagePublisher"/> publishes them. Prints "oci://HOST/REPO:TAG@sha256:...".
/// </summary>
public sealed class PushCommand : ICommand
{
    public string Name => "push";

    internal const int OptionPlainHttp = 300, OptionCaFile = 301, OptionRegistryConfig = 302, OptionContainerDisk = 303, OptionArch = 304;

    internal static readonly LongOption[] RegistryLongOptions =
    [
        new("help", ArgKind.None, 'h'),
        new("plain-http", ArgKind.None, OptionPlainHttp),
        new("ca-file", ArgKind.Required, OptionCaFile),
        new("registry-config", ArgKind.Required, OptionRegistryConfig),
    ];

    private static readonly LongOption[] LongOptions =
    [
        .. RegistryLongOptions,
        new("format", ArgKind.Required, 'f'),
        new("containerdisk", ArgKind.None, OptionContainerDisk),
        new("arch", ArgKind.Required, OptionArch),
    ];

    public int Run(CommandContext context, string[] argv)
    {
        var io = context.IO;
        string? fmt = null, arch = null;
        bool containerDisk = false;
        var registry = new RegistryOptions { Warning = io.Warning };
        var g = new GetOpt(argv, ":f:h", LongOptions);
        for (int c; (c = g.Next()) != GetOpt.End;)
        {
            switch (c)
            {
                case 'f': fmt = g.Optarg; break;
                case OptionContainerDisk: containerDisk = true; break;
                case OptionArch: arch = g.Optarg; break;
                case 'h': return PrintHelp(io, Name);
                default: registry = ParseRegistryOption(c, g, registry); break;
            }
        }
        if (g.Operands.Count != 2)
            throw new UsageException("Expecting an image file name and an oci:// reference");
        if (arch is not null && !containerDisk)
            throw new UsageException("--arch is only for --containerdisk");
        string filename = g.Operands[0];
        var reference = ParseReference(g.Operands[1]);
        if (reference.Digest is not null)
            throw new UsageException($"{reference}: push publishes under a tag, not a digest");

        var image = Describe(context.Engine, filename, fmt);
        string tag = reference.Tag ?? "latest";
        return Execute(io, reference.ToString(), async ct =>
        {
            using var client = new RegistryClient(reference, registry);
            var publisher = new ImagePublisher(client);
            string digest = containerDisk
                ? await publisher.PushContainerDiskAsync(image, arch ?? ContainerDisk.DefaultArchitecture, tag, ct).ConfigureAwait(false)
                : await publisher.PushArtifactAsync(image, tag, ct).ConfigureAwait(false);
            io.Print($"{reference.WithTag(tag)}@{digest}\n");
            return 0;
        });
    }

    /// <summary>What the engine says of the image: format, virtual size, its files beside it (not its backing chain).</summary>
    private static ImageToPublish Describe(ImageContext engine, string filename, string? fmt)
    {
        using var device = ImageOpener.Open(engine, filename, new OpenOptions { Format = fmt, NoIo = true, ForceShare = true, NoBacking = true });
        if (device.BackingFilename is { } backing)
            throw new ImageBuild.Engine.ImageException($"'{filename}' has a backing file ('{backing}'), which a push does not carry; convert it to an image of its own first");
        var names = ImageFiles.NamesOf(device, filename, filename);
        string directory = Path.GetDirectoryName(Path.GetFullPath(filename))!;
        return new ImageToPublish(device.FormatName, device.VirtualSize, directory, names) { ShownAs = filename };
    }

    /// <summary>The options every registry verb takes; anything else is handled as every command handles it.</summary>
    internal static RegistryOptions ParseRegistryOption(int c, GetOpt g, RegistryOptions registry)
    {
        switch (c)
        {
            case OptionPlainHttp: return registry with { PlainHttp = true };
            case OptionCaFile: return registry with { CaFile = g.Optarg };
            case OptionRegistryConfig: return registry with { AuthFile = g.Optarg };
            default: HandleCommon(c, g); return registry;
        }
    }

    internal static OciReference ParseReference(string text) =>
        OciReference.TryParse(text, out var reference, out string? error) ? reference! : throw new UsageException(error ?? $"{text}: not an oci:// reference");

    internal static int PrintHelp(CliIO io, string verb)
    {
        io.Print(CommandHelp.For(verb)!.Render(imageCommand: verb == "push"));
        return 0;
    }

    /// <summary>
    /// Runs a registry operation: Ctrl-C (SIGINT, SIGTERM) cancels it (what it wrote is removed), and every failure
    /// is one line "imagebuild: oci://...: ..." with exit code 1, never .NET's text for a registry's or a file's fault.
    /// </summary>
    internal static int Execute(CliIO io, string shownAs, Func<CancellationToken, Task<int>> operation)
    {
        io.Out.Flush();
        using var interrupt = new CancellationTokenSource();
        void Cancel(PosixSignalContext signal)
        {
            if (interrupt.IsCancellationRequested) return;
            signal.Cancel = true;
            interrupt.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        try
        {
            return Task.Run(() => operation(interrupt.Token)).GetAwaiter().GetResult();
        }
        catch (Exception e) when (Describe(e, shownAs, interrupt.IsCancellationRequested) is { } line)
        {
            // every failure names the reference first, also where the registry's message names only the repository
            io.Error(line.StartsWith(OciReference.Scheme, StringComparison.Ordinal) ? line : $"{shownAs}: {line}");
            return 1;
        }
    }

    /// <summary>The one line for a failure of a registry operation, or null for what Program reports itself.</summary>
    private static string? Describe(Exception e, string shownAs, bool interrupted) => e switch
    {
        OperationCanceledException when interrupted => $"{shownAs}: interrupted",
        RegistryException or DistributionException => FirstLine(e.Message),
        InvalidDataException => FirstLine(e.Message),
        FileNotFoundException or DirectoryNotFoundException => $"{shownAs}: No such file or directory",
        UnauthorizedAccessException => $"{shownAs}: Permission denied",
        IOException io when io.HResult == 28 || io.Message.Contains("No space", StringComparison.Ordinal) => $"{shownAs}: No space left on device",
        IOException or Win32Exception => $"{shownAs}: {FirstLine(e.Message)}",
        _ => null,
    };

    private static string FirstLine(string message)
    {
        int end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}
