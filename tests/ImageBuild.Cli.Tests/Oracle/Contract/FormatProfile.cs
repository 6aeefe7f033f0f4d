namespace ImageBuild.Cli.Tests.Oracle.Contract;

/// <summary>
/// What qemu-img 7.2 does with images of a format (which BlockDriver callbacks its driver sets). The contract cases
/// always compare our outcome with qemu-img's, whether qemu succeeds or refuses; these flags say which fixtures make
/// sense (an overlay needs backing support) and are themselves checked against qemu-img in every case that touches
/// them, so a profile row cannot silently drift from what qemu does.
/// </summary>
[Flags]
public enum QemuOps
{
    None = 0,

    /// <summary>`check` works (without it qemu-img exits 63, "This image format does not support checks").</summary>
    Check = 1 << 0,

    /// <summary>`convert -c` and `qemu-io write -c` (bdrv_co_pwritev_compressed).</summary>
    CompressedWrites = 1 << 1,

    /// <summary>Images can have a backing file (create -b, commit into the backing file).</summary>
    Backing = 1 << 2,

    /// <summary>The backing file name can be changed (rebase; qemu's bdrv_change_backing_file).</summary>
    ChangeBacking = 1 << 3,

    /// <summary>`resize` to a larger size.</summary>
    Grow = 1 << 4,

    /// <summary>`resize --shrink` to a smaller size.</summary>
    Shrink = 1 << 5,

    /// <summary>`measure -O FMT`.</summary>
    Measure = 1 << 6,
}

/// <summary>The operations after which a contract case compares the resulting files byte for byte.</summary>
[Flags]
public enum ContractOps
{
    None = 0,
    Create = 1 << 0,
    Convert = 1 << 1,
    Commit = 1 << 2,
    Rebase = 1 << 3,
    Resize = 1 << 4,
    All = Create | Convert | Commit | Rebase | Resize,
}

/// <summary>
/// A byte range of an image file that qemu fills randomly (a UUID), masked when files are compared; a negative
/// <paramref name="Offset"/> counts from the end of the file (a VHD footer).
/// </summary>
public sealed record ByteRange(long Offset, int Length)
{
    public long End => Offset + Length;
}

/// <summary>
/// One format's row of the driver contract: how qemu-img 7.2 treats it and which create options the matrix runs over.
/// Adding a format to the contract suite means adding one of these to <see cref="FormatProfiles.All"/>.
/// </summary>
/// <param name="Name">qemu's driver name (`-f`, `-O`).</param>
public sealed record FormatProfile(string Name)
{
    /// <summary>File name extension used for the images the cases make.</summary>
    public string Extension { get; init; } = Name;

    /// <summary>What qemu-img does with the format.</summary>
    public QemuOps Ops { get; init; }

    /// <summary>
    /// `-o` option sets the create case runs, besides the generic ones every format gets (defaults, an odd size,
    /// an unknown option, a backing file); each is one test.
    /// </summary>
    public IReadOnlyList<string> CreateOptions { get; init; } = [];

    /// <summary>
    /// `-o` option sets that give a different on-disk layout; the read (qemu-io filled image → convert/info/map/check)
    /// and convert-into cases run over each ("" = defaults).
    /// </summary>
    public IReadOnlyList<string> LayoutOptions { get; init; } = [""];

    /// <summary>Byte ranges qemu fills randomly on create and convert (UUIDs), masked in file comparisons.</summary>
    public IReadOnlyList<ByteRange> RandomBytes { get; init; } = [];

    /// <summary>`info --output=json` keys (at any depth) whose values qemu fills randomly.</summary>
    public IReadOnlyList<string> RandomInfoKeys { get; init; } = [];

    /// <summary>Regexes of human `info` lines whose values qemu fills randomly (matched lines are dropped).</summary>
    public IReadOnlyList<string> RandomInfoLines { get; init; } = [];

    /// <summary>
    /// Operations whose output qemu-img lays out the same way on every run, so that ours must be byte-identical
    /// (outside <see cref="RandomBytes"/>). Others are compared by content, info, check and allocation only.
    /// </summary>
    public ContractOps ByteExact { get; init; } = ContractOps.All;

    /// <summary>
    /// qemu-img 7.2 exits 1 without a message after writing a complete compressed image (qcow: its final
    /// zero-length compressed write is refused); we exit 0 on purpose (README, deliberate differences).
    /// </summary>
    public bool QemuFailsAfterCompressedConvert { get; init; }

    /// <summary>
    /// commit changes the base in a way that makes qemu refuse to read the overlay through it (VMDK: the base gets a
    /// new CID, the overlay's parentCID no longer matches): after commit only the base is compared as an image.
    /// </summary>
    public bool CommitInvalidatesOverlay { get; init; }

    /// <summary>
    /// create and convert round the virtual size up (VHD: to a whole CHS geometry), so qemu-img compare of a source
    /// with the output warns that the sizes differ (and checks that the extra part reads as zeros).
    /// </summary>
    public bool RoundsSizeUp { get; init; }

    public bool Has(QemuOps op) => (Ops & op) == op;

    public override string ToString() => Name;
}
