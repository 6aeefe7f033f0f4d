namespace ImageBuild.Recipes.Steps.Filesystems;

/// <summary>filesystem: a raw image holding one filesystem filled from a repository folder.</summary>
internal sealed class FilesystemStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        var fs = c.Step.AsMap();
        var tree = c.Trees.Scan(c.Recipe, fs);
        long size = c.Step.Number("size") ?? SizeOfIso(fs, tree);
        using (var file = new FileStream(c.PartialPath!, FileMode.CreateNew, FileAccess.Write))
            file.SetLength(size);
        string note = FilesystemWriter.Write(c, fs, tree, c.PartialPath!, 0, size, FilesystemWriter.IdentityOf(c.Recipe, c.Step));
        return new StepResult { Note = $"{note}; {tree.Entries.Count} entries, {tree.TotalFileBytes} bytes of files" };
    }

    /// <summary>An ISO 9660 volume's default size: what the tree needs.</summary>
    private static long SizeOfIso(Model.MapValue fs, ImageBuild.Filesystems.Trees.FileTree tree) =>
        ImageBuild.Filesystems.Iso9660.IsoWriter.MeasureSize(tree, FilesystemWriter.IsoOptionsOf(fs));
}
