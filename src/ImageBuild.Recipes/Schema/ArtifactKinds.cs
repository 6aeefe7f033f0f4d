using ImageBuild.Packaging.Checksums;
using ImageBuild.Packaging.Compression;
using ImageBuild.Packaging.Ovf;
using ImageBuild.Recipes.Model;

namespace ImageBuild.Recipes.Schema;

/// <summary>
/// Kinds whose output is a deliverable that is not a disk image (an artifact): what a pipeline hands to a platform
/// or a release. Each writes one file (written by ImageBuild.Packaging); the runner handles it as it does an image.
/// </summary>
internal static class ArtifactKinds
{
    private static readonly VirtualHardware HardwareDefaults = new() { Name = "" };

    /// <summary>The virtual machine an OVA (or a VirtualBox box) describes.</summary>
    private static readonly ParamSpec[] Hardware =
    [
        new("name", ParamType.Text, "Virtual machine name, also the name of the files inside the package (default: the step id); letters, digits, '.', '_' and '-'."),
        new("cpus", ParamType.Integer, "Virtual CPUs.") { Min = 1, Max = 128, Default = HardwareDefaults.Cpus.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        new("memory", ParamType.Size, "Memory, a whole number of MiB (qemu suffixes: M, G).") { Default = (HardwareDefaults.MemoryMiB << 20).ToString(System.Globalization.CultureInfo.InvariantCulture) },
        new("os-type", ParamType.Enum, "Guest operating system, as the OVF OperatingSystemSection, VMware's osType and VirtualBox's ostype name it.") { Values = OvfOsTypes.Names, Default = HardwareDefaults.OsType },
        new("controller", ParamType.Enum, "Disk controller: scsi (LSI Logic), sata (AHCI) or ide.") { Values = OvfControllers.Names, Default = HardwareDefaults.DiskController },
        new("nic", ParamType.Enum, "Network adapter, or none.") { Values = OvfNics.Names, Default = HardwareDefaults.Nic },
        new("network", ParamType.Text, "Name of the network the adapter connects to.") { Default = HardwareDefaults.NetworkName },
    ];

    private static readonly string[] CompressionNames = [.. Enum.GetValues<CompressionMethod>().Select(Compressors.Name)];

    public static readonly StepKind[] All =
    [
        new("ova", 1, "An OVA for vSphere, Workstation and VirtualBox: the OVF descriptor (a virtual system from the parameters), the .mf manifest and the disks as streamOptimized VMDKs, in a ustar tar with the .ovf first (DMTF DSP0243).",
        [
            StepKinds.From,
            new("disks", ParamType.StepRefList, "Further disks, attached after from's in this order."),
            .. Hardware,
            new("ovf-version", ParamType.Enum, "OVF version of the descriptor.") { Values = ["1.0", "2.0"], Default = "1.0" },
            new("manifest", ParamType.Enum, "Digest of the .mf manifest: sha256, or sha1 for older VMware products (newer ones reject it), or sha512.") { Values = ["sha256", "sha1", "sha512"], Default = "sha256" },
        ], ProducesImage: false)
        {
            ProducesArtifact = true, Environment = ["SOURCE_DATE_EPOCH"], DefaultOutputName = (step, _) => step.Id + ".ova",
        },

        new("vagrant-box", 1, "A Vagrant box (.box: a gzip-compressed tar) for the libvirt provider (box.img qcow2, metadata.json, Vagrantfile) or the VirtualBox provider (box.ovf and its VMDK, metadata.json, Vagrantfile).",
        [
            StepKinds.From,
            new("provider", ParamType.Enum, "The Vagrant provider the box is for.", Required: true) { Values = ["libvirt", "virtualbox"] },
            .. Hardware,
        ], ProducesImage: false)
        {
            ProducesArtifact = true, Environment = ["SOURCE_DATE_EPOCH"], DefaultOutputName = (step, _) => step.Id + ".box",
        },

        new("gce-tar", 1, "A Google Compute Engine image tarball: the disk as disk.raw (size rounded up to whole GiB) in a GNU tar (sparse), gzip-compressed, as GCE's image import takes it.",
        [
            StepKinds.From,
        ], ProducesImage: false)
        {
            ProducesArtifact = true, Environment = ["SOURCE_DATE_EPOCH"], DefaultOutputName = (step, _) => step.Id + ".tar.gz",
        },

        new("checksums", 1, "A checksum list over chosen outputs, as sha256sum/sha512sum write it (\"HEX  NAME\" per line) and check it (-c).",
        [
            new("outputs", ParamType.StepRefList, "The steps whose outputs (images or artifacts) are listed, in this order.", Required: true),
            new("algorithm", ParamType.Enum, "Digest algorithm.") { Values = ["sha256", "sha512"], Default = "sha256" },
        ], ProducesImage: false)
        {
            ProducesArtifact = true, AcceptsArtifacts = ["outputs"],
            DefaultOutputName = (step, _) => ChecksumFile.DefaultName(ChecksumAlgorithmOf(step)),
        },

        new("archive", 1, "Any output (an image or an artifact) compressed with gzip, zstd or xz into a new output, on every core; the bytes do not depend on the core count.",
        [
            new("from", ParamType.StepRef, "The step whose output (an image or an artifact) is compressed.", Required: true),
            new("type", ParamType.Enum, "Compression.", Required: true) { Values = CompressionNames },
            new("level", ParamType.Integer, "Compression level (default: gzip 6, zstd 3, xz 6; gzip 1-9, zstd 1-19, xz 0-9).") { Min = 0, Max = 19 },
        ], ProducesImage: false)
        {
            ProducesArtifact = true, AcceptsArtifacts = ["from"],
            DefaultOutputName = (step, shapes) => Path.GetFileName(shapes[step.Text("from")!].OutputName!) + Compressors.Extension(CompressionOf(step)),
        },
    ];

    /// <summary>An archive step's compression (the loader has checked the name).</summary>
    public static CompressionMethod CompressionOf(RecipeStep step) =>
        Compressors.TryParse(step.Text("type") ?? "", out var m) ? m : CompressionMethod.Gzip;

    /// <summary>A checksums step's algorithm (the loader has checked the name).</summary>
    public static ChecksumAlgorithm ChecksumAlgorithmOf(RecipeStep step) =>
        ChecksumFile.TryParse(step.Text("algorithm") ?? "sha256", out var a) ? a : ChecksumAlgorithm.Sha256;
}
