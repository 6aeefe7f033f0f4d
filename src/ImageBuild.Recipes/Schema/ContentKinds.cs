using ImageBuild.Filesystems.Partitions;

namespace ImageBuild.Recipes.Schema;

/// <summary>
/// Kinds that make a disk's content from directory trees rather than bytes at offsets: filesystems, partition tables
/// and cloud-init seeds, written without root or loop devices (ImageBuild.Filesystems; ext4 through e2fsprogs).
/// </summary>
internal static class ContentKinds
{
    /// <summary>
    /// The format of what these kinds write: the guest's bytes as they are, which is what a raw image is. (A content
    /// constant, as a platform's format is: any later step converts it.)
    /// </summary>
    public const string Format = "raw";

    /// <summary>The filesystem types a filesystem step or a partition builds.</summary>
    public static readonly string[] FilesystemTypes = ["fat", "fat12", "fat16", "fat32", "ext4", "iso9660"];

    /// <summary>What a filesystem holds and how it is made: the fields of a filesystem step and of a partition's filesystem.</summary>
    public static readonly ParamSpec[] FilesystemFields =
    [
        new("type", ParamType.Enum, "Filesystem: fat (FAT12, 16 or 32 by size, as mkfs.fat picks), fat12, fat16, fat32, ext4 (through e2fsprogs' mke2fs -d) or iso9660 (Rock Ridge and Joliet).", Required: true) { Values = FilesystemTypes },
        new("tree", ParamType.RepoFolder, "Folder whose content fills the filesystem (relative to the recipe); absent = empty. Its names, content, symlink targets, modes and owners are the step's input."),
        new("include", ParamType.TextList, "Globs ('*', '**', '?') over paths relative to the folder: only what matches, or lies under a match, is kept.") { Default = "[**]" },
        new("exclude", ParamType.TextList, "Globs of paths dropped (an excluded directory is not read)."),
        new("owners", ParamType.Enum, "root: every entry owned by uid/gid 0 (the build does not depend on its user); keep: the files' own uid/gid.") { Values = ["root", "keep"], Default = "root" },
        new("label", ParamType.Text, "Volume label (FAT: up to 11 of A-Z 0-9 and !#$%&'()-@^_`{}~ and space; ext4: up to 16 bytes; iso9660: up to 32 characters)."),
        new("uuid", ParamType.Text, "ext4: the filesystem UUID; FAT: the volume serial as XXXX-XXXX (default: derived from the partition's GUID, else from the recipe name and step id, so it stays the same when content changes)."),
        new("cluster-size", ParamType.Size, "FAT bytes per cluster: a power of two from 512 to 64k (default: as mkfs.fat picks)."),
        new("block-size", ParamType.Integer, "ext4 bytes per block: 1024, 2048 or 4096.") { Min = 1024, Max = 4096, Default = "4096" },
    ];

    /// <summary>One partition of a partition step.</summary>
    private static readonly ParamSpec[] PartitionFields =
    [
        new("type", ParamType.Text, $"Partition type: a name ({string.Join(", ", PartitionTypes.Names)}), a GPT type GUID, or on MBR a type byte such as 0x83.", Required: true),
        new("name", ParamType.Text, "GPT partition name (up to 36 UTF-16 code units); MBR has none."),
        new("size", ParamType.Size, "Size (rounded up to 512 bytes); without size or percent the partition takes the rest of the disk (one partition at most)."),
        new("percent", ParamType.Integer, "Size as a percentage of the usable space, rounded down to the alignment.") { Min = 1, Max = 100 },
        new("uuid", ParamType.Text, "GPT unique partition GUID (default: derived from the seed as systemd-repart does)."),
        new("attributes", ParamType.TextList, "GPT attribute bits: numbers 0-63 or required-partition (0), no-block-io-protocol (1), legacy-bios-bootable (2), grow-file-system (59), read-only (60), hidden (62), no-auto (63)."),
        new("bootable", ParamType.Bool, "MBR boot indicator; on GPT the legacy-BIOS-bootable attribute.") { Default = "false" },
        new("content", ParamType.StepRef, "Step whose output image becomes the partition's content (its virtual size must fit)."),
        new("filesystem", ParamType.Map, "A filesystem built in place in the partition, filling it.") { Fields = FilesystemFields },
    ];

    private static readonly ParamSpec[] SeedFiles =
    [
        new("user-data", ParamType.RepoFile, "File whose bytes are the seed's user-data (relative to the recipe)."),
        new("user-data-text", ParamType.Text, "user-data given inline (e.g. a #cloud-config block)."),
        new("meta-data", ParamType.RepoFile, "File whose bytes are the seed's meta-data."),
        new("meta-data-text", ParamType.Text, "meta-data given inline (default: instance-id and local-hostname from the parameters)."),
        new("network-config", ParamType.RepoFile, "File whose bytes are the seed's network-config (absent: none)."),
        new("network-config-text", ParamType.Text, "network-config given inline."),
        new("vendor-data", ParamType.RepoFile, "File whose bytes are the seed's vendor-data (absent: none)."),
        new("vendor-data-text", ParamType.Text, "vendor-data given inline."),
    ];

    /// <summary>The seed's files: each from a file or inline text, in the order they appear in the seed.</summary>
    public static readonly string[] SeedFileNames = ["meta-data", "network-config", "user-data", "vendor-data"];

    public static readonly StepKind[] All =
    [
        new("filesystem", 1, "A filesystem image (raw) filled from a repository folder: FAT12/16/32 with long names or ISO 9660 written by the engine, ext4 by e2fsprogs' mke2fs -d; reproducible (fixed UUID and hash seed, every timestamp SOURCE_DATE_EPOCH, owners root).",
        [
            .. FilesystemFields,
            new("size", ParamType.Size, "Size of the filesystem (required for fat and ext4; iso9660: at least what the tree needs, which is the default)."),
            new("seed", ParamType.Text, "What the default UUID derives from (default: the recipe name and the step id)."),
        ], ProducesImage: true)
        {
            OutputFormat = Format, Environment = ["SOURCE_DATE_EPOCH"],
        },

        new("partition", 1, "A partitioned disk (raw): a GPT (protective MBR, both headers) or MBR table, each partition filled from another step's image or with a filesystem built in place; disk and partition GUIDs derived from the seed as systemd-repart derives them.",
        [
            new("size", ParamType.Size, "Size of the disk.", Required: true),
            new("table", ParamType.Enum, "Partition table.") { Values = ["gpt", "mbr"], Default = "gpt" },
            new("seed", ParamType.Text, "What the disk and partition GUIDs derive from: a UUID, or any text (default: the recipe name and the step id).") ,
            new("alignment", ParamType.Size, "Partition starts are multiples of this (a multiple of 512).") { Default = "1048576" },
            new("partitions", ParamType.MapList, "The partitions, in table order.", Required: true) { Fields = PartitionFields },
        ], ProducesImage: true)
        {
            OutputFormat = Format, Environment = ["SOURCE_DATE_EPOCH"],
        },

        new("cloud-init-seed", 1, "A cloud-init NoCloud seed (raw): meta-data, user-data and optionally network-config and vendor-data on a volume labelled cidata, ISO 9660 with Rock Ridge and Joliet, or FAT.",
        [
            .. SeedFiles,
            new("instance-id", ParamType.Text, "instance-id of the default meta-data (default: the step id)."),
            new("hostname", ParamType.Text, "local-hostname of the default meta-data (default: none)."),
            new("filesystem", ParamType.Enum, "iso9660 (what cloud-localds writes) or fat.") { Values = ["iso9660", "fat"], Default = "iso9660" },
            new("size", ParamType.Size, "fat only: size of the volume (default: what the files need, at least 1 MiB)."),
        ], ProducesImage: true)
        {
            OutputFormat = Format, Environment = ["SOURCE_DATE_EPOCH"],
        },
    ];
}
