namespace ImageBuild.Oci.Distribution;

/// <summary>
/// An image as the engine opened it, for a push: its format and virtual size, the directory of its main file and
/// the names of its host files there, main file first (a VMDK descriptor and its extents, a qcow2 and its external
/// data file). Nothing here opens images: the caller (the CLI) learns all of it from the engine.
/// </summary>
public sealed record ImageToPublish(string Format, long VirtualSize, string Directory, IReadOnlyList<string> Files)
{
    /// <summary>How messages name the image (the name the user gave; by default the main file's path).</summary>
    public string ShownAs { get; init; } = System.IO.Path.Combine(Directory, Files[0]);

    /// <summary>The path of file <paramref name="name"/>.</summary>
    public string PathOf(string name) => System.IO.Path.Combine(Directory, name);
}
