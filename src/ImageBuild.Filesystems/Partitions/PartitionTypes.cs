using System.Globalization;

namespace ImageBuild.Filesystems.Partitions;

/// <summary>
/// Partition type names → GPT type GUIDs (the Discoverable Partitions Specification and UEFI's ESP) and, where one
/// exists, the MBR type byte. Names follow systemd-repart's Type= values; each "linux-X" name is also accepted as
/// plain "X" (systemd-repart's own spelling: "root-x86-64", "home"), and "linux" means "linux-generic".
/// </summary>
public static class PartitionTypes
{
    private sealed record Known(string Name, Guid Gpt, byte Mbr);

    private static readonly Known[] Table =
    [
        new("esp", new("C12A7328-F81F-11D2-BA4B-00A0C93EC93B"), 0xEF),
        new("xbootldr", new("BC13C2FF-59E6-4262-A352-B275FD6F7172"), 0xEA),
        new("linux-generic", new("0FC63DAF-8483-4772-8E79-3D69D8477DE4"), 0x83),
        new("swap", new("0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"), 0x82),
        new("linux-home", new("933AC7E1-2EB4-4F13-B844-0E14E2AEF915"), 0x83),
        new("linux-srv", new("3B8F8425-20E0-4F3B-907F-1A25A76F98E8"), 0x83),
        new("linux-var", new("4D21B016-B534-45C2-A9FB-5C16E091FD2D"), 0x83),
        new("linux-tmp", new("7EC6F557-3BC5-4ACA-B293-16EF5DF639D1"), 0x83),
        new("linux-lvm", new("E6D6D379-F507-44C2-A23C-238F2A3DF928"), 0x8E),
        new("linux-raid", new("A19D880F-05FC-4D3B-A006-743F0F84911E"), 0xFD),
        new("linux-root-x86", new("44479540-F297-41B2-9AF7-D131D5F0458A"), 0x83),
        new("linux-root-x86-64", new("4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"), 0x83),
        new("linux-root-arm", new("69DAD710-2CE4-4E3C-B16C-21A1D49ABED3"), 0x83),
        new("linux-root-arm64", new("B921B045-1DF0-41C3-AF44-4C6F280D3FAE"), 0x83),
        new("linux-root-riscv64", new("72EC70A6-CF74-40E6-BD49-4BDA08E8F224"), 0x83),
        new("linux-root-ppc64-le", new("C31C45E6-3F39-412E-80FB-4809C4980599"), 0x83),
        new("linux-root-s390x", new("5EEAD9A9-FE09-4A1E-A1D7-520D00531306"), 0x83),
        new("linux-usr-x86", new("75250D76-8CC6-458E-BD66-BD47CC81A812"), 0x83),
        new("linux-usr-x86-64", new("8484680C-9521-48C6-9C11-B0720656F69E"), 0x83),
        new("linux-usr-arm", new("7D0359A3-02B3-4F0A-865C-654403E70625"), 0x83),
        new("linux-usr-arm64", new("B0E01050-EE5F-4390-949A-9101B17104E9"), 0x83),
        new("linux-usr-riscv64", new("BEAEC34B-8442-439B-A40B-984381ED097D"), 0x83),
        new("linux-root-x86-64-verity", new("2C7357ED-EBD2-46D9-AEC1-23D437EC2BF5"), 0),
        new("linux-root-arm64-verity", new("DF3300CE-D69F-4C92-978C-9BFB0F38D820"), 0),
        new("linux-usr-x86-64-verity", new("77FF5F63-E7B6-4633-ACF4-1565B864C0E6"), 0),
        new("linux-usr-arm64-verity", new("6E11A4E7-FBCA-4DED-B9E9-E1A512BB664E"), 0),
        new("msft-basic", new("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"), 0x0C),
        new("bios-boot", new("21686148-6449-6E6F-744E-656564454649"), 0),
    ];

    private static readonly Dictionary<string, Known> ByName = BuildIndex();

    /// <summary>Every accepted name, canonical names first in table order, then their aliases.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [.. Table.Select(k => k.Name), .. ByName.Keys.Where(n => Table.All(k => k.Name != n)).Order(StringComparer.Ordinal)];

    /// <summary>
    /// Resolves a name (case-insensitive), a GUID (GPT only) or a hex type byte such as "0x83" or "83" (MBR only).
    /// False when the name is unknown or the type has no representation in <paramref name="table"/> (bios-boot and
    /// the verity types have no MBR byte).
    /// </summary>
    public static bool TryResolve(string nameOrGuid, TableType table, out Guid gptType, out byte mbrType)
    {
        ArgumentNullException.ThrowIfNull(nameOrGuid);
        gptType = Guid.Empty;
        mbrType = 0;
        if (ByName.TryGetValue(nameOrGuid.Trim(), out var known))
        {
            gptType = known.Gpt;
            mbrType = known.Mbr;
            return table == TableType.Gpt || mbrType != 0;
        }
        if (table == TableType.Gpt)
            return Guid.TryParse(nameOrGuid, out gptType) && gptType != Guid.Empty;
        string hex = nameOrGuid.Trim();
        if (hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) hex = hex[2..];
        return hex.Length is 1 or 2 && byte.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mbrType) && mbrType != 0;
    }

    private static Dictionary<string, Known> BuildIndex()
    {
        var index = new Dictionary<string, Known>(StringComparer.OrdinalIgnoreCase);
        foreach (var k in Table)
        {
            index[k.Name] = k;
            if (k.Name.StartsWith("linux-", StringComparison.Ordinal) && k.Name != "linux-generic")
                index[k.Name["linux-".Length..]] = k;
        }
        index["linux"] = index["linux-generic"];
        index["microsoft-basic-data"] = index["msft-basic"];
        return index;
    }
}
