namespace ImageBuild.Oci.Distribution;

/// <summary>
/// KubeVirt's containerDisk layout: an ordinary OCI image (as <c>FROM scratch</c> plus
/// <c>ADD --chown=107:107 NAME /disk/</c> builds it) whose single layer holds the directory <c>disk/</c> and one
/// disk file in it, readable by the qemu user (107) KubeVirt runs as. KubeVirt boots qcow2 and raw files only.
/// </summary>
public static class ContainerDisk
{
    /// <summary>The directory KubeVirt looks into for the disk, as a tar entry name.</summary>
    public const string Directory = "disk/";

    /// <summary>The qemu user and group of KubeVirt's virt-launcher.</summary>
    public const int Owner = 107;

    /// <summary>The disk file: read-only for its owner and group (KubeVirt boots it through an overlay).</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.GroupRead;

    /// <summary>The directory: readable and searchable by everyone.</summary>
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>The architecture of the image config unless the user names another.</summary>
    public const string DefaultArchitecture = "amd64";

    /// <summary>The formats KubeVirt boots from a containerDisk.</summary>
    public static IReadOnlyList<string> Formats { get; } = ["qcow2", "raw"];

    /// <summary>Whether <paramref name="format"/> may be published as a containerDisk.</summary>
    public static bool Accepts(string format) => Formats.Contains(format, StringComparer.Ordinal);
}
