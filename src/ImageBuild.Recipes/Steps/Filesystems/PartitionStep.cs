using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using ImageBuild.Filesystems.Partitions;
using ImageBuild.Recipes.Model;

namespace ImageBuild.Recipes.Steps.Filesystems;

/// <summary>
/// partition: a raw disk with a GPT or MBR table whose partitions hold other steps' images or filesystems built in
/// place. The partitions are written first and the table last, so a disk that stops halfway has no table.
/// </summary>
internal sealed class PartitionStep : IStepExecutor
{
    private const int Chunk = 1 << 20;

    public StepResult Execute(StepContext c)
    {
        PartitionLayout layout;
        try
        {
            layout = PartitionPlanner.Plan(c.Recipe, c.Step);
        }
        catch (ArgumentException e)
        {
            throw new StepFailedException(e.Message);
        }
        var items = PartitionPlanner.Partitions(c.Step);
        using (var disk = new FileStream(c.PartialPath!, FileMode.CreateNew, FileAccess.Write))
            disk.SetLength(layout.DiskSize);
        var notes = new List<string>();
        foreach (var p in layout.Partitions)
        {
            var item = items[p.Number - 1];
            string what = $"partition {p.Number} ({p.Spec.Type})";
            string? filled = null;
            if (c.Inputs.TryGetValue(RecipeGraph.ListInputName("partitions", p.Number - 1), out var input))
                filled = CopyImage(c, input, p, what);
            else if (item.Get("filesystem") is MapValue fs)
            {
                try
                {
                    filled = FilesystemWriter.Write(c, fs, c.Trees.Scan(c.Recipe, fs), c.PartialPath!, p.Offset, p.Size,
                        PartitionPlanner.IdentityOf(c.Recipe, c.Step, p));
                }
                catch (Exception e) when (e is StepFailedException or IOException)
                {
                    throw new StepFailedException($"{what}: {e.Message}");
                }
            }
            notes.Add($"{p.Number} {p.Spec.Type} {p.Size} bytes at {p.Offset}{(filled is null ? "" : ": " + filled)}");
        }
        using (var disk = new FileStream(c.PartialPath!, FileMode.Open, FileAccess.ReadWrite))
            PartitionTable.Write(disk, layout);
        return new StepResult { Note = $"{layout.Table.ToString().ToUpperInvariant()} {layout.DiskGuid}; {string.Join("; ", notes)}" };
    }

    /// <summary>Copies the guest data of an image into the partition (its zero and unallocated ranges stay holes).</summary>
    private static string CopyImage(StepContext c, StepInput input, PlacedPartition p, string what)
    {
        using var source = ImageOpener.Open(c.Engine, input.Path, new OpenOptions { Format = input.Format, ForceShare = true });
        if (source.VirtualSize > p.Size)
            throw new StepFailedException($"{what}: '{input.FileName}' is {source.VirtualSize} bytes, larger than the {p.Size}-byte partition");
        using var disk = new FileStream(c.PartialPath!, FileMode.Open, FileAccess.Write, FileShare.None);
        var handle = disk.SafeFileHandle;
        byte[] buffer = new byte[Chunk];
        foreach (var extent in ImageMapper.Map(source, 0, null, humanCoalescing: false))
        {
            if (!extent.Data || extent.Zero) continue;
            for (long pos = extent.Start; pos < extent.End;)
            {
                int n = (int)Math.Min(Chunk, extent.End - pos);
                source.Read(pos, buffer.AsSpan(0, n));
                RandomAccess.Write(handle, buffer.AsSpan(0, n), p.Offset + pos);
                pos += n;
                if (source.VirtualSize > 0) c.Progress(100.0 * pos / source.VirtualSize);
            }
        }
        return $"'{input.FileName}' ({source.VirtualSize} bytes)";
    }
}
