using ImageBuild.Cli.CommandLine;
using ImageBuild.Cli.Output;
using ImageBuild.Engine.Operations;
using static ImageBuild.Cli.CommandLine.CommonArgs;

namespace ImageBuild.Cli.Commands;

/// <summary>snapshot [--object OBJ] [--image-opts] [-U] [-q] [-l | -a SNAPSHOT | -c SNAPSHOT | -d SNAPSHOT] FILENAME</summary>
public sealed class SnapshotCommand : ICommand
{
    public string Name => "snapshot";

    private static readonly LongOption[] LongOptions =
    [
        new("help", ArgKind.None, 'h'),
        new("object", ArgKind.Required, OptionObject),
        new("image-opts", ArgKind.None, OptionImageOpts),
        new("force-share", ArgKind.None, 'U'),
    ];

    public int Run(CommandContext context, string[] argv)
    {
        var io = context.IO;
        var action = SnapshotAction.None;
        string? name = null;
        bool forceShare = false, imageOpts = false;
        var objects = new ObjectOption();
        var g = new GetOpt(argv, ":la:c:d:hqU", LongOptions);
        for (int c; (c = g.Next()) != GetOpt.End;)
        {
            SnapshotAction chosen = c switch
            {
                'l' => SnapshotAction.List,
                'a' => SnapshotAction.Apply,
                'c' => SnapshotAction.Create,
                'd' => SnapshotAction.Delete,
                _ => SnapshotAction.None,
            };
            if (chosen != SnapshotAction.None)
            {
                if (action != SnapshotAction.None)
                    throw new UsageException("Cannot mix '-l', '-a', '-c', '-d'");
                action = chosen;
                name = g.Optarg;
                continue;
            }
            switch (c)
            {
                case 'q': break; // qemu-img snapshot prints nothing that -q would silence (the list is always printed)
                case 'U': forceShare = true; break;
                case OptionObject: objects.Add(io, g.Optarg!); break;
                case OptionImageOpts: imageOpts = true; break;
                default: HandleCommon(c, g); break;
            }
        }
        context = context with { Engine = objects.Apply(context.Engine) };
        if (g.Operands.Count != 1)
            throw new UsageException("Expecting one image file name");
        string filename = g.Operands[0];
        context = context with { Engine = ImageOptsArgs.Register(io, context.Engine, imageOpts, null, filename, forceShare) };

        var snapshots = ImageSnapshotter.Run(context.Engine, new SnapshotRequest
        {
            Filename = filename, Action = action, Snapshot = name, ForceShare = forceShare,
        });
        if (action == SnapshotAction.List)
            io.Print(SnapshotTable.List(snapshots));
        return 0;
    }
}
