namespace ImageBuild.Packaging.Ovf;

/// <summary>
/// The virtual machine an OVF envelope or a Vagrant box describes, as a recipe states it: the names of the OS type,
/// disk controller and NIC are keys of <see cref="OvfOsTypes"/>, <see cref="OvfControllers"/> and <see cref="OvfNics"/>.
/// </summary>
public sealed record VirtualHardware
{
    /// <summary>The VirtualSystem's ovf:id and Name; also the base name of an OVA's members.</summary>
    public required string Name { get; init; }

    /// <summary>Virtual CPUs (rasd ResourceType 3).</summary>
    public int Cpus { get; init; } = 1;

    /// <summary>Memory in MiB (rasd ResourceType 4, AllocationUnits <c>byte * 2^20</c>).</summary>
    public long MemoryMiB { get; init; } = 1024;

    /// <summary>A key of <see cref="OvfOsTypes"/>.</summary>
    public string OsType { get; init; } = "other-64";

    /// <summary>A key of <see cref="OvfControllers"/>: scsi (LSI Logic), sata (AHCI), ide.</summary>
    public string DiskController { get; init; } = "scsi";

    /// <summary>A key of <see cref="OvfNics"/>: vmxnet3, e1000, e1000e, none.</summary>
    public string Nic { get; init; } = "vmxnet3";

    /// <summary>The logical network the NIC connects to (NetworkSection Network ovf:name, rasd:Connection).</summary>
    public string NetworkName { get; init; } = "VM Network";
}
