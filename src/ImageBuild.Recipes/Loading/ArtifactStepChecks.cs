using ImageBuild.Engine.Block;
using ImageBuild.Packaging.Compression;
using ImageBuild.Packaging.Gce;
using ImageBuild.Recipes.Model;
using ImageBuild.Recipes.Schema;

namespace ImageBuild.Recipes.Loading;

/// <summary>
/// What the loader's parameter types cannot say about deliverable steps, checked before anything runs: names that
/// become file names inside a package, memory in whole MiB, a compression level the chosen compressor has, a disk
/// size GCE would refuse.
/// </summary>
internal static class ArtifactStepChecks
{
    private const long MiB = 1024 * 1024;
    /// <summary>The least memory a virtual machine description may give (VMware's and VirtualBox's floor is 4 MiB).</summary>
    private const long MinimumMemory = 4 * MiB;
    /// <summary>The most: 24 TiB, vSphere 8's largest virtual machine.</summary>
    private const long MaximumMemory = 24L << 40;
    private const int MaximumNameLength = 64;

    public static void Check(Recipe recipe, RecipeStep step, RecipeGraph? graph, ImageContext ctx, Action<Mark, string> err)
    {
        if (step.Get("name") is TextValue name && NameProblem(name.Value) is { } why)
            err(name.Mark, $"name '{name.Value}' {why}");
        if (step.Get("memory") is NumberValue memory)
        {
            if (memory.Value % MiB != 0)
                err(memory.Mark, $"memory {memory.Value} bytes is not a whole number of MiB");
            else if (memory.Value is < MinimumMemory or > MaximumMemory)
                err(memory.Mark, $"memory must be between 4 MiB and 24 TiB (got {memory.Value / MiB} MiB)");
        }
        if (step.Kind == "archive" && step.Get("level") is NumberValue level)
        {
            var method = ArtifactKinds.CompressionOf(step);
            var levels = Compressors.Levels(method);
            if (level.Value < levels.Min || level.Value > levels.Max)
                err(level.Mark, $"{Compressors.Name(method)} has levels {levels.Min} to {levels.Max} (got {level.Value})");
        }
        if (step.Kind == "gce-tar" && graph is not null && step.Text("from") is { } from
            && Platforms.StaticSize.Of(recipe, graph, from, ctx) is { } size && GceImage.Refusal($"'from: {from}'", size) is { } refusal)
            err(step.MarkOf("from"), refusal);
    }

    /// <summary>
    /// Why a virtual machine name cannot name the files of a package (NAME.ovf, NAME-disk1.vmdk): it must be a plain,
    /// portable file name, as ovftool and VirtualBox write them; null when it can.
    /// </summary>
    private static string? NameProblem(string name)
    {
        if (name.Length is 0 or > MaximumNameLength) return $"must have 1 to {MaximumNameLength} characters";
        if (name[0] is '.' or '-') return "must not start with '.' or '-'";
        foreach (char ch in name)
            if (!char.IsAsciiLetterOrDigit(ch) && ch is not ('.' or '_' or '-'))
                return $"has '{ch}'; use letters, digits, '.', '_' and '-'";
        return null;
    }
}
