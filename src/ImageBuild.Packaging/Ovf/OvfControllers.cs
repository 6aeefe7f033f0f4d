namespace ImageBuild.Packaging.Ovf;

/// <summary>
/// A disk controller as a RASD Item (DSP0243 §8.3 with the CIM_ResourceAllocationSettingData ResourceType value map):
/// 6 "Parallel SCSI HBA", 20 "Other Storage Device" for SATA (with the subtype VMware writes, which VirtualBox 6+
/// reads too), 5 "IDE Controller". <paramref name="MaxDisks"/> is how many disks one controller takes (SCSI unit 7 is
/// the HBA itself).
/// </summary>
internal sealed record OvfController(string Key, int ResourceType, string? ResourceSubType, string Description, int MaxDisks)
{
    /// <summary>AddressOnParent of the <paramref name="index"/>-th disk (SCSI skips the HBA's unit 7).</summary>
    public int Address(int index) => ResourceType == 6 && index >= 7 ? index + 1 : index;
}

/// <summary>The disk controllers a recipe may name: scsi (LSI Logic), sata (AHCI), ide.</summary>
public static class OvfControllers
{
    private static readonly OvfController[] Table =
    [
        new("scsi", 6, "lsilogic", "SCSI Controller", 15),
        new("sata", 20, "vmware.sata.ahci", "SATA Controller", 30),
        new("ide", 5, null, "IDE Controller", 2),
    ];

    public static IReadOnlyList<string> Names { get; } = Array.ConvertAll(Table, t => t.Key);

    internal static OvfController Get(string key) =>
        Array.Find(Table, t => t.Key == key)
        ?? throw new ArgumentException($"unknown disk controller '{key}' (known: {string.Join(", ", Names)})");
}
