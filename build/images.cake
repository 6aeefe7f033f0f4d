// Builds every recipe in recipes/ (not recipes/bench, which is the benchmark) through the Cake.ImageBuild addin.
// Run through build.cake (--target=Images), which builds the addin first; run alone only after
//   dotnet build tasks/Cake.ImageBuild -c Release
// (a missing #r assembly makes Cake fail before this script starts, with an unhelpful message).
#r "../tasks/Cake.ImageBuild/bin/Release/net10.0/Cake.ImageBuild.dll"

var output = MakeAbsolute(Directory(Argument("output", "../artifacts/images")));
var explain = HasArgument("explain");

Task("Images")
    .Does(() =>
{
    var recipes = GetFiles("../recipes/*.yaml").OrderBy(f => f.FullPath).ToList();
    if (recipes.Count == 0)
        throw new CakeException("no recipes found in recipes/");
    foreach (var recipe in recipes)
    {
        string name = recipe.GetFilenameWithoutExtension().FullPath;
        Information("recipe {0}", recipe.GetFilename());
        var result = ImageBuildRecipe(recipe, new ImageBuildRecipeSettings
        {
            OutputDirectory = output.Combine(name),
            Explain = explain,
        });
        Information("{0}: {1} steps ran, {2} up to date -> {3}", name, result.RanCount, result.SkippedCount, result.OutputDirectory);
    }
});

RunTarget("Images");
