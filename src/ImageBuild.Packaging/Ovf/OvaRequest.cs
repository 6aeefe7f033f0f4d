namespace ImageBuild.Packaging.Ovf;

/// <summary>What an OVA is made of: the disks (in order: the first is the boot disk), the machine, the OVF version and the manifest's digest.</summary>
public sealed record OvaRequest
{
    public required IReadOnlyList<PackageDisk> Disks { get; init; }
    public required VirtualHardware Hardware { get; init; }
    public OvfVersion Version { get; init; } = OvfVersion.V1_0;
    public ManifestAlgorithm Manifest { get; init; } = ManifestAlgorithm.Sha256;
}
