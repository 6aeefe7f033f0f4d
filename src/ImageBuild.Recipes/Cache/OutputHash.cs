namespace ImageBuild.Recipes.Cache;

/// <summary>
/// The content hash of a step's output. A single file hashes as itself (<see cref="ContentHasher.HashFile(string)"/>,
/// so records of single-file outputs never change meaning). An image of several files (a VMDK descriptor and its
/// extents) hashes the name and hash of every file, in the image's order (<c>BlockDevice.HostFileNames</c>, the
/// main file first), names relative to the main file's directory: renaming an extent, reordering or changing any
/// byte of any file changes the hash.
/// </summary>
public static class OutputHash
{
    public const string MultiFileTag = "imagebuild-output-files/1";

    /// <param name="files">Each file's name relative to the main file's directory and its content hash, main first.</param>
    public static string Of(IReadOnlyList<(string Name, string Hash)> files)
    {
        if (files.Count == 0) throw new ArgumentException("an output has at least one file", nameof(files));
        if (files.Count == 1) return files[0].Hash;
        var text = new System.Text.StringBuilder(MultiFileTag).Append('\n');
        foreach (var (name, hash) in files) text.Append(name).Append('\t').Append(hash).Append('\n');
        return ContentHasher.HashText(text.ToString());
    }
}
