using System.Globalization;
using ImageBuild.Filesystems.Ext4;
using ImageBuild.Filesystems.Fat;
using ImageBuild.Filesystems.Iso9660;
using ImageBuild.Filesystems.Partitions;
using ImageBuild.Filesystems.Trees;
using ImageBuild.Recipes.Model;

namespace ImageBuild.Recipes.Steps.Filesystems;

/// <summary>
/// Builds the filesystem a mapping of filesystem fields describes (a filesystem step's parameters, or a partition's
/// <c>filesystem:</c>) into a byte range of a file: the whole output of a filesystem step, or a partition of a disk.
/// Identifiers derive from <c>uuid</c> or the identity given; every timestamp is SOURCE_DATE_EPOCH.
/// </summary>
internal static class FilesystemWriter
{
    /// <summary>ISO 9660 volumes are made of 2048-byte blocks.</summary>
    public const int IsoBlock = 2048;

    /// <summary>Writes the filesystem into <paramref name="file"/> at [offset, offset+size); returns a one-line description.</summary>
    public static string Write(StepContext c, MapValue fs, FileTree tree, string file, long offset, long size, Guid identity)
    {
        string type = fs.Text("type")!;
        long epoch = BuildEnvironment.SourceDateEpoch();
        try
        {
            switch (type)
            {
                case "ext4":
                {
                    Guid uuid = fs.Text("uuid") is { } u ? Guid.Parse(u) : identity;
                    var options = new Ext4Options
                    {
                        Uuid = uuid, HashSeed = PartitionGuids.Derive(uuid, "hash-seed"), VolumeLabel = fs.Text("label") ?? "",
                        // mke2fs 1.47 takes a fake time of 0 as "now": the epoch itself is written as one second past it.
                        TimestampSeconds = Math.Max(epoch, 1), BlockSize = (int)(fs.Number("block-size") ?? 4096),
                    };
                    var r = Ext4Writer.Write(file, offset, size, tree, options, c.ScratchDirectory("ext4"), c.Cancellation);
                    return $"ext4 {uuid}, {r.UsedBlocks} of {r.BlockCount} {r.BlockSize}-byte blocks used";
                }
                case "iso9660":
                {
                    var options = IsoOptionsOf(fs) with { TimestampSeconds = epoch };
                    long needed = IsoWriter.MeasureSize(tree, options);
                    if (needed > size)
                        throw new StepFailedException($"the tree needs a {needed}-byte ISO 9660 volume; {size} bytes are given");
                    using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
                    stream.Position = offset;
                    var r = IsoWriter.Write(stream, tree, options, p => c.Progress(100 * p), c.Cancellation);
                    return $"iso9660, {r.FileCount} files in {r.Size} bytes";
                }
                default:
                {
                    var options = new FatOptions
                    {
                        Type = type switch { "fat12" => FatType.Fat12, "fat16" => FatType.Fat16, "fat32" => FatType.Fat32, _ => FatType.Auto },
                        VolumeLabel = fs.Text("label") ?? "NO NAME",
                        VolumeId = fs.Text("uuid") is { } serial ? ParseSerial(serial)!.Value : SerialOf(identity),
                        ClusterSize = fs.Number("cluster-size") is { } cluster ? (int)cluster : null,
                        TimestampSeconds = epoch,
                    };
                    using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
                    var r = FatWriter.Write(stream, offset, size, tree, options, p => c.Progress(100 * p), c.Cancellation);
                    return $"{r.Type.ToString().ToLowerInvariant()} {options.VolumeId >> 16:X4}-{options.VolumeId & 0xFFFF:X4}, {r.UsedBytes} bytes used, {r.FreeBytes} free";
                }
            }
        }
        catch (ArgumentException e)
        {
            throw new StepFailedException(e.Message);
        }
    }

    /// <summary>An ISO 9660 volume's options from its fields (the label defaults to CDROM, as genisoimage's does).</summary>
    public static IsoOptions IsoOptionsOf(MapValue fs) => new() { VolumeLabel = fs.Text("label") ?? "CDROM" };

    /// <summary>The identity a standalone filesystem's identifiers derive from: its seed, else the recipe name and step id.</summary>
    public static Guid IdentityOf(Recipe recipe, RecipeStep step) =>
        PartitionGuids.Derive(new Guid(PartitionGuids.SeedBytes(SeedOf(recipe, step)), bigEndian: true), "fs-uuid");

    /// <summary>A step's seed: its <c>seed</c> parameter, else "RECIPE-NAME/STEP-ID" (the same on every machine).</summary>
    public static string SeedOf(Recipe recipe, RecipeStep step) =>
        step.Text("seed") ?? $"{recipe.Name ?? Path.GetFileNameWithoutExtension(recipe.File)}/{step.Id}";

    /// <summary>A FAT volume serial written XXXX-XXXX (or 8 hex digits); null when it is not one.</summary>
    public static uint? ParseSerial(string text)
    {
        string hex = text.Length == 9 && text[4] == '-' ? text.Remove(4, 1) : text;
        return hex.Length == 8 && uint.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint v) ? v : null;
    }

    /// <summary>A FAT volume serial from an identity (its first four bytes).</summary>
    public static uint SerialOf(Guid identity)
    {
        Span<byte> b = stackalloc byte[16];
        identity.TryWriteBytes(b, bigEndian: true, out _);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b);
    }
}
