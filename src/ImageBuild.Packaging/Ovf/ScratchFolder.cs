namespace ImageBuild.Packaging.Ovf;

/// <summary>
/// A directory in the context's scratch space holding a packager's intermediate files under their member names,
/// whatever name the context's scratch mapping gives the directory: the engine's reproducible identity source keys
/// on a file's name (a VMDK's CID), and a streamOptimized VMDK names itself in its descriptor, so the bytes are the
/// same whichever scratch directory a run gets. Disposing deletes what it created.
/// </summary>
internal sealed class ScratchFolder : IDisposable
{
    private readonly List<string> _files = [];
    private readonly bool _created;

    public ScratchFolder(PackageContext context, string name)
    {
        Root = context.Scratch(name);
        if (File.Exists(Root))
            throw new IOException($"the scratch directory '{Root}' is an existing file");
        _created = !Directory.Exists(Root);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>The path of the intermediate file <paramref name="memberName"/>, deleted on dispose.</summary>
    public string PathOf(string memberName)
    {
        string path = Path.Combine(Root, memberName);
        _files.Add(path);
        return path;
    }

    public void Dispose()
    {
        foreach (string file in _files)
            TryDelete(() => File.Delete(file));
        if (_created)
            TryDelete(() => Directory.Delete(Root));
    }

    private static void TryDelete(Action delete)
    {
        try { delete(); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
