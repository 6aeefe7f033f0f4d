using ImageBuild.Packaging.Ovf;

namespace ImageBuild.Packaging.Vagrant;

/// <summary>What a Vagrant box is made of: one disk, the provider, and the machine (CPUs and memory; for VirtualBox the whole OVF description).</summary>
public sealed record VagrantBoxRequest
{
    public required PackageDisk Disk { get; init; }
    public required VagrantProvider Provider { get; init; }
    public required VirtualHardware Hardware { get; init; }
}
