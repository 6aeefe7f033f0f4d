using System.Text;
using ImageBuild.Filesystems.Fat;
using ImageBuild.Filesystems.Iso9660;
using ImageBuild.Filesystems.Trees;
using ImageBuild.Recipes.Model;
using ImageBuild.Recipes.Schema;

namespace ImageBuild.Recipes.Steps.Filesystems;

/// <summary>
/// cloud-init-seed: a NoCloud seed volume (cloud-init's "cidata" source): meta-data, user-data and the optional
/// network-config and vendor-data at its root, on ISO 9660 with Rock Ridge and Joliet (as cloud-localds writes it) or
/// on FAT.
/// </summary>
internal sealed class CloudInitSeedStep : IStepExecutor
{
    /// <summary>The label cloud-init looks for (NoCloud accepts cidata or CIDATA; FAT labels are upper case).</summary>
    private const string IsoLabel = "cidata", FatLabel = "CIDATA";
    private const long MiB = 1 << 20;

    public StepResult Execute(StepContext c)
    {
        var tree = Tree(c.Recipe, c.Step);
        long epoch = BuildEnvironment.SourceDateEpoch();
        try
        {
            if (c.Step.Text("filesystem") == "fat")
            {
                long size = c.Step.Number("size") ?? DefaultFatSize(tree);
                using var fat = new FileStream(c.PartialPath!, FileMode.CreateNew, FileAccess.ReadWrite);
                var options = new FatOptions
                {
                    VolumeLabel = FatLabel, TimestampSeconds = epoch,
                    VolumeId = FilesystemWriter.SerialOf(FilesystemWriter.IdentityOf(c.Recipe, c.Step)),
                };
                var r = FatWriter.Write(fat, 0, size, tree, options, p => c.Progress(100 * p), c.Cancellation);
                return new StepResult { Note = $"NoCloud seed on {r.Type.ToString().ToLowerInvariant()}: {string.Join(", ", tree.Entries.Select(e => e.Path))}" };
            }
            using var iso = new FileStream(c.PartialPath!, FileMode.CreateNew, FileAccess.ReadWrite);
            IsoWriter.Write(iso, tree, new IsoOptions { VolumeLabel = IsoLabel, TimestampSeconds = epoch }, p => c.Progress(100 * p), c.Cancellation);
            return new StepResult { Note = $"NoCloud seed on iso9660: {string.Join(", ", tree.Entries.Select(e => e.Path))}" };
        }
        catch (ArgumentException e)
        {
            throw new StepFailedException(e.Message);
        }
    }

    /// <summary>The seed's files: each from its file or inline text; meta-data made from instance-id and hostname when given neither.</summary>
    public static FileTree Tree(Recipe recipe, RecipeStep step)
    {
        var entries = new List<TreeEntry>();
        foreach (string name in ContentKinds.SeedFileNames)
        {
            var entry = new TreeEntry { Path = name, Kind = TreeEntryKind.File, Mode = 0x1A4 /* 0644 */ };
            if (step.Text(name) is { } rel)
            {
                // Streamed from the file when written, as a tree's files are.
                string path = recipe.ResolveFile(rel);
                entries.Add(entry with { SourcePath = path, Size = new FileInfo(path).Length });
                continue;
            }
            string? text = step.Text(name + "-text") ?? (name == "meta-data" ? DefaultMetaData(step) : null);
            if (text is null) continue;
            byte[] content = Encoding.UTF8.GetBytes(text);
            entries.Add(entry with { Content = content, Size = content.Length });
        }
        return new FileTree(entries);
    }

    private static string DefaultMetaData(RecipeStep step)
    {
        var sb = new StringBuilder();
        sb.Append("instance-id: ").Append(step.Text("instance-id") ?? step.Id).Append('\n');
        if (step.Text("hostname") is { } host) sb.Append("local-hostname: ").Append(host).Append('\n');
        return sb.ToString();
    }

    /// <summary>What the files need with room for FAT's own structures, in whole MiB, at least 1 MiB.</summary>
    private static long DefaultFatSize(FileTree tree) => Math.Max(MiB, (tree.TotalFileBytes * 2 + MiB) / MiB * MiB);
}
