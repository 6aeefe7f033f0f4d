using ImageBuild.Engine.Block;

namespace ImageBuild.Fuzz;

/// <summary>
/// The target table. Image targets come from the format registry: every registered driver is a target under its
/// own name (open with -f NAME), and "probe" opens with the format guessed. A new format driver joins by being
/// registered in the engine (BuiltinFormats); a driver that can create images also gets the write phase
/// (<see cref="ImageExercise"/>). Parsers that are not image formats are listed here.
/// </summary>
public static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All(ImageContext context)
    {
        var targets = new List<FuzzTarget> { new ImageTarget("probe", null, context) };
        foreach (var format in context.Formats.All)
            targets.Add(new ImageTarget(format.Name, format.Name, context));
        targets.Add(new RecipeTarget(context));
        return targets;
    }

    public static FuzzTarget? Find(ImageContext context, string name) =>
        All(context).FirstOrDefault(t => t.Name == name);
}
