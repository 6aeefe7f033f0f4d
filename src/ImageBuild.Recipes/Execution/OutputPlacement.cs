using ImageBuild.Engine.Block;
using ImageBuild.Recipes.Model;
using ImageBuild.Recipes.Steps;

namespace ImageBuild.Recipes.Execution;

/// <summary>
/// Where a step writes its output while it runs. Normally in its private partial folder
/// (<see cref="Host.PartialFolder"/>) under the final name, so that an image of several files names its other files
/// by their final names. But an image that names another image by a relative name (a backing file) resolves it
/// from its own directory while the step works on it: such outputs (an overlay, a copy of an overlay, a rebase onto
/// an image, a backing_file option) are written beside their final name under a hidden temporary name instead, and
/// must be single files.
/// </summary>
internal static class OutputPlacement
{
    /// <summary>Kinds whose output starts as a copy of their <c>from</c> image (<see cref="StepContext.CopyImage"/>).</summary>
    private static readonly HashSet<string> CopiesFrom = new(StringComparer.Ordinal) { "write", "apply", "resize", "rebase", "snapshot" };

    public static bool InPrivateFolder(RecipeStep step, IReadOnlyDictionary<string, StepInput> inputs, ImageContext engine)
    {
        if (step.Kind == "overlay" || inputs.ContainsKey("backing")) return false;
        if (step.Options().Any(o => o.Key == "backing_file")) return false;
        if (CopiesFrom.Contains(step.Kind) && inputs.TryGetValue("from", out var from))
        {
            try
            {
                using var dev = ImageOpener.Open(engine, from.Path, new OpenOptions { Format = from.Format, NoBacking = true, NoIo = true, ForceShare = true });
                return dev.BackingFilename is null;
            }
            catch (Engine.ImageException)
            {
                return false; // the step reports why its input does not open
            }
        }
        return true;
    }
}
