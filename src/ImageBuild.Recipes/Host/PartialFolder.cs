using ImageBuild.Engine.Host;

namespace ImageBuild.Recipes.Host;

/// <summary>
/// The private folders where steps write their outputs under their final names before the runner moves them into
/// the output directory: OUTPUT/.imagebuild/partial/STATE/STEP/. Final names matter for images of several files
/// (a VMDK descriptor names its extents relative to itself). Nothing in them is ever trusted: a run removes its
/// state's folders before it starts, and a step's folder when it ends. Links in their place are removed, never
/// followed.
/// </summary>
public static class PartialFolder
{
    public const string DirectoryName = "partial";

    /// <summary>OUTPUT/.imagebuild/partial/STATE: the folders of one state's steps.</summary>
    public static string OfState(string outputDir, string stateName) =>
        Path.Combine(outputDir, ".imagebuild", DirectoryName, stateName);

    public static string OfStep(string outputDir, string stateName, string stepId) =>
        Path.Combine(OfState(outputDir, stateName), stepId);

    /// <summary>A fresh, empty folder for a step (whatever had its name is removed first).</summary>
    public static string Create(string outputDir, string stateName, string stepId)
    {
        string imagebuild = StateFile.EnsureDirectory(Path.Combine(outputDir, ".imagebuild"));
        StateFile.EnsureDirectory(Path.Combine(imagebuild, DirectoryName));
        StateFile.EnsureDirectory(OfState(outputDir, stateName));
        string dir = OfStep(outputDir, stateName, stepId);
        Remove(dir);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Removes a folder and its content, or a link or file in its place; quietly when it cannot.</summary>
    public static void Remove(string dir)
    {
        try
        {
            switch (FileKind.Of(dir, followLinks: false))
            {
                case FileType.Missing: return;
                case FileType.Directory: Directory.Delete(dir, recursive: true); return;
                default: File.Delete(dir); return;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
