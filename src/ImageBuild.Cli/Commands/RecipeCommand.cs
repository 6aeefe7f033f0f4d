using ImageBuild.Recipes.Cli;

namespace ImageBuild.Cli.Commands;

/// <summary>imagebuild's own verbs for recipes (run, plan, validate): a thin host over ImageBuild.Recipes.</summary>
public sealed class RecipeCommand(string verb) : ICommand
{
    public string Name => verb;

    public int Run(CommandContext context, string[] argv)
    {
        context.IO.Out.Flush();
        int rc = RecipeCli.Run(verb, argv[1..], context.IO.Out, context.IO.Err);
        context.IO.Out.Flush();
        return rc;
    }
}
