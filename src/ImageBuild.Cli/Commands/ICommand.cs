using ImageBuild.Cli.CommandLine;
using ImageBuild.Engine.Block;

namespace ImageBuild.Cli.Commands;

/// <summary>What a command gets: where to print and the engine context.</summary>
public sealed record CommandContext(CliIO IO, ImageContext Engine);

/// <summary>One qemu-img verb.</summary>
public interface ICommand
{
    string Name { get; }

    /// <summary>Runs the command; <paramref name="argv"/>[0] is the command name. Returns the exit code.</summary>
    int Run(CommandContext context, string[] argv);
}

/// <summary>The commands in qemu-img's table order.</summary>
public static class CommandTable
{
    public static IReadOnlyList<ICommand> All { get; } =
    [
        new AmendCommand(),
        new BenchCommand(),
        new BitmapCommand(),
        new CheckCommand(),
        new CommitCommand(),
        new CompareCommand(),
        new ConvertCommand(),
        new CreateCommand(),
        new DdCommand(),
        new InfoCommand(),
        new MapCommand(),
        new MeasureCommand(),
        new SnapshotCommand(),
        new RebaseCommand(),
        new ResizeCommand(),
        // imagebuild's own verbs (not in qemu-img): declarative recipes.
        new RecipeCommand("run"),
        new RecipeCommand("plan"),
        new RecipeCommand("validate"),
        // imagebuild's own verbs: images to and from OCI registries.
        new PushCommand(),
        new PullCommand(),
    ];

    public static ICommand? Find(string name) => All.FirstOrDefault(c => c.Name == name);
}
