using ImageBuild.Engine.Block;
using ImageBuild.Recipes.Loading;
using ImageBuild.Recipes.Model;

namespace ImageBuild.Fuzz;

/// <summary>The recipe loader (YAML, schema, variables, validation): the input is the recipe text.</summary>
public sealed class RecipeTarget(ImageContext context) : FuzzTarget("recipe", "load and validate a recipe (YAML)")
{
    public override string Run(ReadOnlySpan<byte> input, Scratch scratch)
    {
        string path = scratch.PathOf("recipe.yaml");
        LayContent(scratch);
        string text = System.Text.Encoding.UTF8.GetString(input);
        try
        {
            RecipeLoader.LoadText(text, path, context: context);
            return "ok";
        }
        catch (RecipeException e)
        {
            // the contract: bad recipes are file:line:col errors
            return "refused: " + e.Errors[0];
        }
    }

    /// <summary>The content files the project's recipes (the seeds) write, so that validation gets past them.</summary>
    private static void LayContent(Scratch scratch)
    {
        string dir = scratch.PathOf("content");
        if (Directory.Exists(dir))
            return;
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "bootsector.bin"), new byte[512]);
        File.WriteAllText(Path.Combine(dir, "os-release.txt"), "NAME=fuzz\n");
        File.WriteAllText(Path.Combine(dir, "app.conf"), "key=value\n");
    }
}
