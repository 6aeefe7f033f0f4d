using ImageBuild.Engine.Host;

namespace ImageBuild.Recipes.Host;

/// <summary>
/// The private folders where steps write their outputs under their final names before the runner moves them into
/// the output directory: OUTPUT/.imagebuild/partial/STATE/STEP/. Final names matter for images of several files
/// (a VMDK descriptor names its extents relative to itself). Nothing in them is ever trusted: a run removes its
/// state's folders before it starts and when it ends, and a step's folder when the step ends. A link (or anything
/// else) in the place of one of these folders is removed, never followed, neither to write nor to delete.
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
        string dir = imagebuild;
        foreach (string part in new[] { DirectoryName, stateName, stepId })
        {
            dir = Path.Combine(dir, part);
            var type = FileKind.Of(dir, followLinks: false);
            if (part == stepId && type == FileType.Directory) Directory.Delete(dir, recursive: true);
            else if (type is not FileType.Missing and not FileType.Directory) File.Delete(dir);
            if (type != FileType.Directory || part == stepId) Directory.CreateDirectory(dir);
        }
        return dir;
    }

    /// <summary>
    /// Removes a folder below OUTPUT/.imagebuild/partial and its content, quietly when it cannot. When a folder on
    /// the way is a link, the link goes and nothing beyond it is touched.
    /// </summary>
    public static void Remove(string dir)
    {
        try
        {
            string? imagebuild = AncestorNamed(dir, ".imagebuild");
            if (imagebuild is null || FileKind.Of(imagebuild, followLinks: false) != FileType.Directory) return;
            string path = imagebuild;
            foreach (string part in Path.GetRelativePath(imagebuild, dir).Split(Path.DirectorySeparatorChar))
            {
                path = Path.Combine(path, part);
                var type = FileKind.Of(path, followLinks: false);
                if (type == FileType.Missing) return;
                if (type != FileType.Directory)
                {
                    File.Delete(path);
                    return;
                }
            }
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static string? AncestorNamed(string path, string name)
    {
        for (string? d = Path.GetDirectoryName(path); d is not null; d = Path.GetDirectoryName(d))
            if (Path.GetFileName(d) == name) return d;
        return null;
    }
}
