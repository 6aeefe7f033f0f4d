using ImageBuild.Engine;
using ImageBuild.Engine.Block;

namespace ImageBuild.Recipes.Execution;

/// <summary>
/// The files an opened image consists of (<see cref="BlockDevice.HostFileNames"/>, main file first), as plain names
/// in the main file's directory: the only images the runner moves, copies, hashes and prunes as a whole, because
/// only names relative to the main file stay valid when the files move together. A file elsewhere (an absolute
/// name, a subdirectory, a qcow2 data file, which qemu resolves from the working directory) is refused.
/// </summary>
public static class ImageFiles
{
    /// <param name="device">The opened image.</param>
    /// <param name="mainPath">Where the main file is (the path the image was opened under).</param>
    /// <param name="shownAs">How messages name the image.</param>
    /// <exception cref="ImageException">A file lies outside the main file's directory, or is hidden.</exception>
    public static IReadOnlyList<string> NamesOf(BlockDevice device, string mainPath, string shownAs)
    {
        string main = Path.GetFullPath(mainPath);
        string dir = Path.GetDirectoryName(main)!;
        var names = new List<string> { Path.GetFileName(main) };
        foreach (string file in device.HostFileNames.Skip(1))
        {
            string full = Path.GetFullPath(file);
            string name = Path.GetFileName(full);
            if (Path.GetDirectoryName(full) != dir)
                throw new ImageException($"'{shownAs}' names '{file}', which is not beside it; an image of several files is handled as a whole only when its other files are named relative to it, in its own directory");
            if (name.StartsWith('.'))
                throw new ImageException($"'{shownAs}' names the hidden file '{name}'; an image's files must be visible names");
            if (!names.Contains(name)) names.Add(name);
        }
        return names;
    }
}
