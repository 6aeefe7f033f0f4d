using ImageBuild.Engine;
using ImageBuild.Engine.Block;
using ImageBuild.Recipes.Model;

namespace ImageBuild.Recipes.Platforms;

/// <summary>
/// The virtual size of a step's output when the recipe fixes it before anything runs: a <c>create</c>'s size carried
/// through the steps that keep it (write, apply, convert, overlays, ...), an absolute resize, a relative resize of a
/// known size, an existing image's header. Null when it depends on what a run produces. Used to refuse at validate
/// time what a platform would refuse (an Azure VHD too large) and to say in plans what will be written.
/// </summary>
public static class StaticSize
{
    public static long? Of(Recipe recipe, RecipeGraph graph, string id, ImageContext ctx) => Of(recipe, graph, id, ctx, recipe.Steps.Count);

    private static long? Of(Recipe recipe, RecipeGraph graph, string id, ImageContext ctx, int depth)
    {
        if (depth < 0 || recipe.Find(id) is not { } step) return null;
        long? From() => step.Text("from") is { } f ? Of(recipe, graph, f, ctx, depth - 1) : null;
        return step.Kind switch
        {
            // qemu sizes every image in whole 512-byte sectors (a raw file of another length reads as the next sector)
            "create" or "filesystem" or "partition" => step.Number("size") is { } n ? Sectors(n) : null,
            "image" => Existing(recipe, step, ctx),
            "write" or "apply" or "snapshot" or "convert" or "compress" or "overlay" or "rebase" => From(),
            "commit" => graph.Shapes[step.Text("from")!].BackingStep is { } b ? Of(recipe, graph, b, ctx, depth - 1) : null,
            "resize" => Resized(step.Text("size"), From()),
            "azure-vhd" => From() is { } s ? AzureVhd.VirtualSizeFor(s) : null,
            "hyperv-vhdx" => From() is { } s ? HyperVVhdx.VirtualSizeFor(s, HyperVVhdx.LogicalSectorSize(step)) : null,
            _ => null,
        };
    }

    private static long Sectors(long n) => n > long.MaxValue - 511 ? n : (n + 511) / 512 * 512;

    private static long? Resized(string? size, long? from)
    {
        if (size is null || size.Length == 0) return null;
        if (size[0] is not '+' and not '-')
            return long.TryParse(size, out long abs) ? Sectors(abs) : null;
        if (from is not { } f || !long.TryParse(size.AsSpan(1), out long delta)) return null;
        long n = size[0] == '+' ? (f > long.MaxValue - delta ? long.MaxValue : f + delta) : f - delta;
        return n < 0 ? null : Sectors(n);
    }

    /// <summary>An existing image's virtual size from its header (null when it cannot be opened now).</summary>
    private static long? Existing(Recipe recipe, RecipeStep step, ImageContext ctx)
    {
        try
        {
            using var dev = ImageOpener.Open(ctx.WithFilePolicy(ImageFilePolicy.RegularFiles), recipe.ResolveFile(step.Text("file")!), new OpenOptions
            {
                Format = step.Text("format"), NoBacking = true, NoIo = true, ForceShare = true, NoLocking = true,
            });
            return dev.VirtualSize;
        }
        catch (Exception e) when (e is ImageException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>What a platform step will write, in words, for <c>imagebuild plan</c> (null for other kinds).</summary>
public static class PlatformPlan
{
    public static string? Describe(Recipe recipe, RecipeGraph graph, RecipeStep step, ImageContext ctx)
    {
        if (step.Kind == "partition") return Steps.Filesystems.PartitionPlanner.Describe(recipe, step);
        if (step.Kind is not ("azure-vhd" or "hyperv-vhdx" or "gce-tar")) return null;
        long? source = step.Text("from") is { } f ? StaticSize.Of(recipe, graph, f, ctx) : null;
        return step.Kind switch
        {
            "azure-vhd" => source is { } s ? AzureVhd.Describe(s) : "fixed VHD of the input's size rounded up to whole MiB (at least 20 MiB), known when the input is built",
            "gce-tar" => source is { } g ? Packaging.Gce.GceImage.Describe(g) : $"{Packaging.Gce.GceImage.DiskFileName} of the input's size rounded up to whole GiB, known when the input is built",
            _ => HyperVVhdx.Describe(step, source),
        };
    }
}
