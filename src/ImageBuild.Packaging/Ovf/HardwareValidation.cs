namespace ImageBuild.Packaging.Ovf;

/// <summary>
/// What a <see cref="VirtualHardware"/> must satisfy before anything is written: a name that is a valid ovf:id and a
/// safe archive member prefix, CPU and memory counts a hypervisor accepts, and known OS, controller and NIC keys.
/// </summary>
internal static class HardwareValidation
{
    /// <summary>Longest name: NAME-diskNN.vmdk must fit a ustar name field (100 bytes) with room to spare.</summary>
    public const int MaxNameLength = 64;

    public static void Check(VirtualHardware hardware)
    {
        if (!IsPlainFileName(hardware.Name) || hardware.Name.Length > MaxNameLength)
            throw new ArgumentException($"virtual machine name '{hardware.Name}' must be 1–{MaxNameLength} characters of A–Z, a–z, 0–9, '.', '_', '-', not starting with '.' or '-'");
        if (hardware.Cpus is < 1 or > 768)
            throw new ArgumentException($"CPU count {hardware.Cpus} is out of range (1–768)");
        if (hardware.MemoryMiB is < 4 or > 24L * 1024 * 1024)
            throw new ArgumentException($"memory of {hardware.MemoryMiB} MiB is out of range (4 MiB–24 TiB)");
        if (string.IsNullOrWhiteSpace(hardware.NetworkName) || hardware.NetworkName.Any(char.IsControl))
            throw new ArgumentException($"network name '{hardware.NetworkName}' is empty or has control characters");
        OvfOsTypes.Get(hardware.OsType);
        OvfControllers.Get(hardware.DiskController);
        OvfNics.Get(hardware.Nic);
    }

    /// <summary>A name usable as is in a package and a URL: ASCII letters, digits, '.', '_', '-', not led by '.' or '-'.</summary>
    public static bool IsPlainFileName(string name) =>
        name.Length > 0 && name[0] is not ('.' or '-') &&
        name.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '-');
}
