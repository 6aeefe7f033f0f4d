using ImageBuild.Recipes.Cli;

namespace ImageBuild.Cli.Commands;

/// <summary>imagebuild's own verbs for recipes (run, plan, validate): a thin host over ImageBuild.Recipes.</summary>
public sealed class RecipeCommand(string verb) : ICommand
{
    public string Name => verb;

    public int Run(CommandContext context, string[] argv)
    {
        if (argv.Skip(1).Any(a => a is "-h" or "--help"))
        {
            context.IO.Print(CommandHelp.For(verb)!.Render(imageCommand: false));
            return 0;
        }
        context.IO.Out.Flush();
        int rc = RecipeCli.Run(verb, argv[1..], context.IO.Out, context.IO.Err);
        context.IO.Out.Flush();
        return rc;
    }
}
