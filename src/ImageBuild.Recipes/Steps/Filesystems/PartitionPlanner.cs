using System.Globalization;
using ImageBuild.Filesystems.Partitions;
using ImageBuild.Recipes.Model;

namespace ImageBuild.Recipes.Steps.Filesystems;

/// <summary>
/// A partition step's layout from its parameters: the same plan for the validator (before anything runs) and the
/// executor. <see cref="ArgumentException"/>, one line naming the partition, when the table cannot hold it.
/// </summary>
internal static class PartitionPlanner
{
    /// <summary>GPT attribute bits by the names systemd-repart and the UEFI specification give them.</summary>
    private static readonly Dictionary<string, int> AttributeBits = new(StringComparer.Ordinal)
    {
        ["required-partition"] = 0, ["no-block-io-protocol"] = 1, ["legacy-bios-bootable"] = 2,
        ["grow-file-system"] = 59, ["read-only"] = 60, ["hidden"] = 62, ["no-auto"] = 63,
    };

    public static IReadOnlyList<MapValue> Partitions(RecipeStep step) => step.Get("partitions") is MapListValue l ? l.Items : [];

    public static PartitionLayout Plan(Recipe recipe, RecipeStep step)
    {
        var items = Partitions(step);
        var specs = items.Select((p, i) => new PartitionSpec
        {
            Type = p.Text("type")!,
            Name = p.Text("name"),
            Size = p.Number("size"),
            Percent = p.Number("percent"),
            Attributes = Attributes(p, i),
            Bootable = p.Bool("bootable"),
        }).ToList();
        var layout = PartitionTable.Plan(specs, new PartitionLayoutOptions
        {
            Table = step.Text("table") == "mbr" ? TableType.Mbr : TableType.Gpt,
            DiskSize = step.Number("size") ?? 0,
            Seed = FilesystemWriter.SeedOf(recipe, step),
            Alignment = step.Number("alignment") ?? 1 << 20,
        });
        var placed = layout.Partitions.Select((p, i) => items[i].Text("uuid") is { } u ? p with { PartitionGuid = ParseGuid(u, i) } : p).ToList();
        return layout with { Partitions = placed };
    }

    /// <summary>The layout in words, for <c>imagebuild plan</c> (null when the table cannot be planned: validate says why).</summary>
    public static string? Describe(Recipe recipe, RecipeStep step)
    {
        try
        {
            var layout = Plan(recipe, step);
            var items = Partitions(step);
            return $"{layout.Table.ToString().ToUpperInvariant()} disk of {layout.DiskSize} bytes: " + string.Join(", ", layout.Partitions.Select(p =>
                $"{p.Number} {p.Spec.Type}{(p.Spec.Name is { } n ? $" '{n}'" : "")} {p.Size} bytes at {p.Offset}" +
                (items[p.Number - 1].Text("content") is { } c ? $" from '{c}'" : items[p.Number - 1].Get("filesystem") is MapValue fs ? $" with {fs.Text("type")}" : "")));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>What a partition's filesystem identifiers derive from: its GUID (GPT) or the seed and its number (MBR).</summary>
    public static Guid IdentityOf(Recipe recipe, RecipeStep step, PlacedPartition p) =>
        PartitionGuids.Derive(p.PartitionGuid != Guid.Empty ? p.PartitionGuid
            : new Guid(PartitionGuids.SeedBytes($"{FilesystemWriter.SeedOf(recipe, step)}/{p.Number}"), bigEndian: true), "fs-uuid");

    private static ulong Attributes(MapValue p, int index)
    {
        ulong bits = 0;
        foreach (string a in p.Texts("attributes"))
        {
            int bit = AttributeBits.TryGetValue(a, out int named) ? named
                : int.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n < 64 ? n
                : throw new ArgumentException($"partition {index + 1}: attribute '{a}' is neither a bit number 0-63 nor one of {string.Join(", ", AttributeBits.Keys)}");
            bits |= 1UL << bit;
        }
        return bits;
    }

    private static Guid ParseGuid(string text, int index) =>
        Guid.TryParse(text, out var g) && g != Guid.Empty ? g
            : throw new ArgumentException($"partition {index + 1}: uuid '{text}' is not a GUID");
}
