using ImageBuild.Engine;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;
using ImageBuild.Filesystems.Fat;
using ImageBuild.Recipes.Model;
using ImageBuild.Recipes.Schema;
using ImageBuild.Recipes.Steps.Filesystems;

namespace ImageBuild.Recipes.Loading;

/// <summary>
/// What the parameter types cannot say about filesystem, partition and cloud-init-seed steps, checked before anything
/// runs: folders that exist, options that belong to the filesystem type, labels and identifiers the filesystem can
/// hold, a partition table that fits the disk, images that fit their partitions, seed files given once.
/// </summary>
internal static class ContentStepChecks
{
    private const int Sector = 512;
    private const long MaxFatVolume = 2L << 40;

    public static void Check(Recipe recipe, RecipeStep step, RecipeGraph? graph, ImageContext ctx, Action<Mark, string> err)
    {
        switch (step.Kind)
        {
            case "filesystem":
            {
                var fs = step.AsMap();
                Filesystem(recipe, fs, "", err);
                if (step.Get("size") is NumberValue size)
                    Size(size, "size", err);
                else if (fs.Text("type") != "iso9660")
                    err(step.Mark, $"a {fs.Text("type")} filesystem needs 'size'");
                break;
            }
            case "partition":
                Partition(recipe, step, graph, ctx, err);
                break;
            case "cloud-init-seed":
                foreach (string name in ContentKinds.SeedFileNames)
                    if (step.Get(name) is { } file && step.Get(name + "-text") is not null)
                        err(file.Mark, $"give '{name}' or '{name}-text', not both");
                if (step.Get("user-data") is null && step.Get("user-data-text") is null)
                    err(step.Mark, "a seed needs 'user-data' or 'user-data-text'");
                if (step.Get("size") is NumberValue seedSize)
                {
                    if (step.Text("filesystem") != "fat") err(seedSize.Mark, "'size' is for a fat seed; an iso9660 seed is as large as its files");
                    else Size(seedSize, "size", err);
                }
                if ((step.Get("meta-data") ?? step.Get("meta-data-text")) is { } given)
                    foreach (string p in new[] { "instance-id", "hostname" })
                        if (step.Get(p) is { } v) err(v.Mark, $"'{p}' makes the default meta-data; with meta-data given (line {given.Mark.Line}) it would be ignored");
                break;
        }
    }

    /// <summary>A filesystem's fields: the folder exists, options belong to the type, the label and identifiers fit it.</summary>
    private static void Filesystem(Recipe recipe, MapValue fs, string where, Action<Mark, string> err)
    {
        string type = fs.Text("type") ?? "";
        bool fat = type.StartsWith("fat", StringComparison.Ordinal), ext4 = type == "ext4";
        if (fs.Get("tree") is TextValue tree)
        {
            string full = recipe.ResolveFile(tree.Value);
            var kind = FileKind.Of(full, followLinks: true);
            if (kind == FileType.Missing) err(tree.Mark, $"{where}tree '{tree.Value}' does not exist (looked for {full})");
            else if (kind != FileType.Directory) err(tree.Mark, $"{where}tree '{tree.Value}' is {FileKind.Describe(kind)}, not a folder");
        }
        else
        {
            foreach (string p in new[] { "include", "exclude", "owners" })
                if (fs.Get(p) is { } v) err(v.Mark, $"{where}'{p}' selects from 'tree', which is not given");
        }
        if (fs.Get("cluster-size") is NumberValue cluster && !fat) err(cluster.Mark, $"{where}'cluster-size' is for fat filesystems, not {type}");
        if (fs.Get("cluster-size") is NumberValue c && fat && (c.Value < Sector || c.Value > 65536 || (c.Value & (c.Value - 1)) != 0))
            err(c.Mark, $"{where}cluster-size {c.Value}: a power of two from 512 to 65536");
        if (fs.Get("block-size") is NumberValue block)
        {
            if (!ext4) err(block.Mark, $"{where}'block-size' is for ext4, not {type}");
            else if (block.Value is not (1024 or 2048 or 4096)) err(block.Mark, $"{where}block-size {block.Value}: 1024, 2048 or 4096");
        }
        if (fs.Get("label") is TextValue label)
        {
            string? why = fat ? FatOptions.LabelProblem(label.Value)
                : ext4 && System.Text.Encoding.UTF8.GetByteCount(label.Value) > 16 ? $"ext4 label '{label.Value}' is longer than 16 bytes"
                : type == "iso9660" && label.Value.Length > 32 ? $"ISO 9660 label '{label.Value}' is longer than 32 characters"
                : null;
            if (why is not null) err(label.Mark, where + why);
        }
        if (fs.Get("uuid") is TextValue uuid)
        {
            if (ext4 && !Guid.TryParse(uuid.Value, out _)) err(uuid.Mark, $"{where}uuid '{uuid.Value}' is not a UUID");
            else if (fat && FilesystemWriter.ParseSerial(uuid.Value) is null) err(uuid.Mark, $"{where}uuid '{uuid.Value}': a FAT volume serial is XXXX-XXXX (8 hex digits)");
            else if (!ext4 && !fat) err(uuid.Mark, $"{where}'uuid' is for ext4 and fat, not {type}");
        }
    }

    private static void Partition(Recipe recipe, RecipeStep step, RecipeGraph? graph, ImageContext ctx, Action<Mark, string> err)
    {
        if (step.Get("size") is NumberValue size) Size(size, "size", err);
        if (step.Get("alignment") is NumberValue align && (align.Value <= 0 || align.Value % Sector != 0))
            err(align.Mark, $"alignment {align.Value}: a positive multiple of {Sector} bytes");
        var items = PartitionPlanner.Partitions(step);
        if (items.Count == 0)
        {
            err(step.MarkOf("partitions"), "'partitions' is empty");
            return;
        }
        bool mbr = step.Text("table") == "mbr";
        int before = 0;
        void ItemErr(Mark m, string msg)
        {
            before++;
            err(m, msg);
        }
        for (int i = 0; i < items.Count; i++)
        {
            var p = items[i];
            string where = $"partition {i + 1}: ";
            if (p.Get("content") is { } content && p.Get("filesystem") is not null)
                ItemErr(content.Mark, where + "give 'content' or 'filesystem', not both");
            if (p.Get("size") is { } s && p.Get("percent") is not null)
                ItemErr(s.Mark, where + "give 'size' or 'percent', not both");
            if (mbr)
                foreach (string f in new[] { "name", "uuid", "attributes" })
                    if (p.Get(f) is { } v) ItemErr(v.Mark, $"{where}an MBR partition has no {f}");
            if (p.Get("filesystem") is MapValue fs)
                Filesystem(recipe, fs, where, ItemErr);
        }
        // The plan would repeat what is already reported, less precisely.
        if (step.Get("size") is not NumberValue || before > 0) return;
        Filesystems.Partitions.PartitionLayout layout;
        try
        {
            layout = PartitionPlanner.Plan(recipe, step);
        }
        catch (ArgumentException e)
        {
            err(step.MarkOf("partitions"), e.Message);
            return;
        }
        if (graph is null) return;
        foreach (var placed in layout.Partitions)
        {
            var item = items[placed.Number - 1];
            if (item.Text("content") is { } id && Platforms.StaticSize.Of(recipe, graph, id, ctx) is { } contentSize && contentSize > placed.Size)
                err(item.MarkOf("content"), $"partition {placed.Number}: '{id}' is {contentSize} bytes, larger than the {placed.Size}-byte partition");
            if (item.Get("filesystem") is MapValue fs && fs.Text("type") is { } t && t.StartsWith("fat", StringComparison.Ordinal) && placed.Size > MaxFatVolume)
                err(fs.Mark, $"partition {placed.Number}: a FAT volume holds at most 2 TiB; the partition is {placed.Size} bytes");
        }
    }

    private static void Size(NumberValue size, string name, Action<Mark, string> err)
    {
        if (size.Value <= 0 || size.Value % Sector != 0)
            err(size.Mark, $"{name} {size.Value}: a positive multiple of {Sector} bytes");
    }
}
