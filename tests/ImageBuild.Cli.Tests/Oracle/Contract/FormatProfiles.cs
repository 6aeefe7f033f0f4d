using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle.Contract;

/// <summary>
/// The formats of the driver contract, one row each, written from what qemu-img 7.2 does with them
/// (`qemu-img create -f FMT -o help`, and qemu-img run on such images). A row whose format the engine still refuses
/// (<see cref="EngineDrivers"/>) is run as "driver not written yet"; against qemu-img itself (IMAGEBUILD_EXE) every
/// row runs, which is how the rows are checked.
/// </summary>
public static class FormatProfiles
{
    public static readonly IReadOnlyList<FormatProfile> All =
    [
        new("raw")
        {
            Ops = QemuOps.Grow | QemuOps.Shrink | QemuOps.Measure,
            // the file protocol's options; metadata is refused by the file protocol
            CreateOptions = ["preallocation=falloc", "preallocation=full", "preallocation=metadata"],
        },
        new("qcow2")
        {
            Ops = QemuOps.Check | QemuOps.CompressedWrites | QemuOps.Backing | QemuOps.ChangeBacking
                | QemuOps.Grow | QemuOps.Shrink | QemuOps.Measure,
            CreateOptions =
            [
                "cluster_size=512", "cluster_size=2M", "compat=0.10", "extended_l2=on", "lazy_refcounts=on",
                "refcount_bits=1", "refcount_bits=64", "compression_type=zstd", "preallocation=metadata",
                "preallocation=falloc", "preallocation=full", "cluster_size=4k,compat=0.10,preallocation=metadata",
                "cluster_size=3k",
            ],
            LayoutOptions =
            [
                "", "compat=0.10", "cluster_size=4k", "cluster_size=16k,extended_l2=on",
                "refcount_bits=1,compression_type=zstd", "preallocation=metadata",
            ],
        },
        new("qcow")
        {
            // no check, measure, resize or backing-file change; a qcow with a backing file has 512-byte clusters;
            // `convert -c -O qcow` writes the whole image, then exits 1 without a message (qemu 7.2)
            Ops = QemuOps.CompressedWrites | QemuOps.Backing,
            // encryption needs a secret object; without one qemu refuses (with one: the qcow-aes row of EncryptedProfiles)
            CreateOptions = ["encryption=on", "encrypt.format=aes"],
            // qemu's commit into a qcow base allocates clusters in a different order on every run
            ByteExact = ContractOps.All & ~ContractOps.Commit,
            QemuFailsAfterCompressedConvert = true,
        },
        new("qed")
        {
            Ops = QemuOps.Check | QemuOps.Backing | QemuOps.ChangeBacking | QemuOps.Grow,
            CreateOptions =
            [
                "cluster_size=4k", "cluster_size=1M", "cluster_size=64M", "cluster_size=1000", "table_size=1",
                "table_size=16", "table_size=3", "cluster_size=4k,table_size=1",
            ],
            // table_size=1 is a create case only: qemu 7.2 then writes an image it cannot open ("QED table offset is invalid")
            LayoutOptions = ["", "cluster_size=4k,table_size=2", "cluster_size=1M"],
        },
        new("vmdk")
        {
            // qemu's vmdk: check, compressed writes (streamOptimized), backing via parentFileNameHint; no
            // bdrv_change_backing_file, truncate or measure
            Ops = QemuOps.Check | QemuOps.CompressedWrites | QemuOps.Backing,
            CreateOptions =
            [
                "subformat=monolithicFlat", "subformat=twoGbMaxExtentSparse", "subformat=twoGbMaxExtentFlat",
                "subformat=streamOptimized", "subformat=vmfs", "zeroed_grain=on", "compat6=on", "hwversion=4",
                "compat6=on,hwversion=6", "adapter_type=lsilogic", "adapter_type=pvscsi", "toolsversion=1234",
                "subformat=monolithicFlat,zeroed_grain=on",
            ],
            // the read cases need a cluster size (flat subformats have none) and random qemu-io writes (streamOptimized
            // takes only appends); those subformats are covered by the create cases and the Vmdk oracle tests
            LayoutOptions = ["", "subformat=twoGbMaxExtentSparse", "zeroed_grain=on"],
            RandomInfoKeys = ["cid", "parent-cid"],
            RandomInfoLines = [@"^\s+cid: \d+$", @"^\s+parent cid: \d+$"],
            // qemu rewrites the CID as "%x" on the first write after open (vmdk_write_cid), also while creating some
            // subformats: its length, and the offset of all that follows in the descriptor, change from run to run, so
            // files are compared by content, info and check (byte identity with the CID masked: the Vmdk tests)
            ByteExact = ContractOps.None,
            CommitInvalidatesOverlay = true,
        },
        new("vdi")
        {
            Ops = QemuOps.Check,
            CreateOptions = ["static=on"],
            LayoutOptions = ["", "static=on"],
            // header: image UUID (0x188) and last-snapshot UUID (0x198), random in qemu and not printed by info
            RandomBytes = [new ByteRange(0x188, 16), new ByteRange(0x198, 16)],
        },
        new("parallels")
        {
            Extension = "hdd",
            // qemu's parallels: check only; it reads through a backing file given at open (supports_backing) but the
            // header cannot name one, so create -b is refused; no resize, measure or compressed writes
            Ops = QemuOps.Check,
            CreateOptions = ["cluster_size=4k", "cluster_size=64k", "cluster_size=1000", "cluster_size=0", "cluster_size=3G"],
            LayoutOptions = ["", "cluster_size=4k", "cluster_size=64k"],
        },
        new("vpc")
        {
            Extension = "vhd",
            // qemu's vpc: no check, resize, measure, compressed writes or backing files (differencing VHDs are read
            // and made beyond qemu: the Vpc tests)
            Ops = QemuOps.None,
            CreateOptions = ["subformat=fixed", "force_size=on", "subformat=fixed,force_size=on", "subformat=bogus"],
            LayoutOptions = ["", "subformat=fixed", "force_size=on"],
            // without force_size the size grows to a whole CHS geometry (8 MiB: 8390656 bytes)
            RoundsSizeUp = true,
            // the footer, copied at 0 in a dynamic disk and at the end of every VHD (offsets from the end are
            // negative): time stamp (24), checksum (64, which follows the time stamp and UUID) and UUID (68)
            RandomBytes =
            [
                new ByteRange(24, 4), new ByteRange(64, 20),
                new ByteRange(-512 + 24, 4), new ByteRange(-512 + 64, 20),
            ],
        },
        new("vhdx")
        {
            // qemu's vhdx: check only (no backing files, compressed writes, truncate or measure)
            Ops = QemuOps.Check,
            CreateOptions =
            [
                "subformat=fixed", "block_state_zero=off", "subformat=fixed,block_state_zero=off", "block_size=1M",
                "block_size=256M", "block_size=1000k", "block_size=3M", "log_size=0", "subformat=foo",
            ],
            // other log sizes move the metadata (and its random page 83 GUID): the Vhdx oracle tests cover them;
            // logical_sector_size=4096 is an ImageBuild extension qemu-img cannot create: the Vhdx tests cover it
            LayoutOptions = ["", "subformat=fixed", "block_size=1M"],
            RandomBytes = VhdxRandomBytes(),
        },
    ];

    /// <summary>
    /// The read-only formats: qemu-img reads them but cannot create them, so each row says how its images are made.
    /// (dmg: one more row with DmgBuilder.)
    /// </summary>
    public static readonly IReadOnlyList<ReadOnlyFormatProfile> ReadOnly =
    [
        new("bochs", (raw, image) => BochsBuilder.WriteFromFile(image, raw)) { Extension = "bochs" },
        new("cloop", (raw, image) => ExternalTools.MakeCloop(raw, image)),
        new("dmg", (raw, image) => DmgBuilder.WriteFromFile(image, raw)),
    ];

    /// <summary>
    /// What qemu fills randomly in a VHDX of the contract's sizes (log at 1 MiB, BAT at 2 MiB, metadata at 3 MiB):
    /// in each header the checksum, the sequence number (random start) and the three GUIDs; the page 83 GUID among
    /// the metadata items; and in each log entry (8 KiB each: one BAT sector per entry) its checksum and log GUID.
    /// </summary>
    private static IReadOnlyList<ByteRange> VhdxRandomBytes()
    {
        var ranges = new List<ByteRange>
        {
            new(0x10004, 60), new(0x20004, 60), // header 1 and 2: checksum, sequence number, file/data/log write GUIDs
            new(0x310010, 16),                  // page 83 data
        };
        for (long entry = 0x100000; entry < 0x200000; entry += 0x2000)
        {
            ranges.Add(new ByteRange(entry + 4, 4));    // log entry checksum
            ranges.Add(new ByteRange(entry + 32, 16));  // log GUID
        }
        return ranges;
    }

    public static ReadOnlyFormatProfile GetReadOnly(string name) =>
        ReadOnly.FirstOrDefault(p => p.Name == name) ?? throw new AssertFailedException($"no read-only contract profile for format '{name}'");

    public static FormatProfile Get(string name) =>
        All.FirstOrDefault(p => p.Name == name) ?? throw new AssertFailedException($"no contract profile for format '{name}'");
}
