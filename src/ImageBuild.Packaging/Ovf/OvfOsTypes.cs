namespace ImageBuild.Packaging.Ovf;

/// <summary>
/// One guest OS as three readers name it: the OperatingSystemSection's ovf:id, a value of CIM_OperatingSystem.OsType
/// (DSP0243 §9.9 says the id is taken from that CIM value map), with the value map's text as the Description; the
/// vmw:osType attribute VMware reads (a vSphere GuestOsIdentifier); the vbox:OSType element VirtualBox reads.
/// </summary>
internal sealed record OvfOsType(string Key, int CimId, string CimDescription, string VmwareOsType, string VirtualBoxOsType);

/// <summary>
/// The guest OS types a recipe may name. CIM has no values for Fedora and for Windows Server 2019/2022 or Windows 11:
/// those use the nearest CIM value (as VirtualBox exports them) and are told apart by vmw:osType and vbox:OSType.
/// </summary>
public static class OvfOsTypes
{
    private static readonly OvfOsType[] Table =
    [
        new("other", 1, "Other", "otherGuest", "Other"),
        new("other-64", 102, "Other 64-Bit", "otherGuest64", "Other_64"),
        new("other-linux-64", 101, "Linux 64-Bit", "otherLinux64Guest", "Linux_64"),
        new("ubuntu-64", 94, "Ubuntu 64-Bit", "ubuntu64Guest", "Ubuntu_64"),
        new("debian-64", 96, "Debian 64-Bit", "debian10_64Guest", "Debian_64"),
        new("debian-11-64", 96, "Debian 64-Bit", "debian11_64Guest", "Debian_64"),
        new("debian-12-64", 96, "Debian 64-Bit", "debian12_64Guest", "Debian_64"),
        new("rhel-64", 80, "RedHat Enterprise Linux 64-Bit", "rhel7_64Guest", "RedHat_64"),
        new("rhel-8-64", 80, "RedHat Enterprise Linux 64-Bit", "rhel8_64Guest", "RedHat_64"),
        new("rhel-9-64", 80, "RedHat Enterprise Linux 64-Bit", "rhel9_64Guest", "RedHat_64"),
        new("centos-64", 107, "CentOS 64-Bit", "centos8_64Guest", "RedHat_64"),
        new("oracle-linux-64", 109, "Oracle Linux 64-Bit", "oracleLinux8_64Guest", "Oracle_64"),
        new("fedora-64", 101, "Linux 64-Bit", "fedora64Guest", "Fedora_64"),
        new("opensuse-64", 83, "SUSE 64-Bit", "opensuse64Guest", "OpenSUSE_64"),
        new("freebsd-64", 78, "FreeBSD 64-Bit", "freebsd64Guest", "FreeBSD_64"),
        new("windows-10-64", 120, "Microsoft Windows 10 64-Bit", "windows9_64Guest", "Windows10_64"),
        new("windows-11-64", 120, "Microsoft Windows 10 64-Bit", "windows11_64Guest", "Windows11_64"),
        new("windows-2016", 118, "Microsoft Windows Server 2016", "windows9Server64Guest", "Windows2016_64"),
        new("windows-2019", 118, "Microsoft Windows Server 2016", "windows2019srv_64Guest", "Windows2019_64"),
        new("windows-2022", 118, "Microsoft Windows Server 2016", "windows2019srvNext_64Guest", "Windows2022_64"),
    ];

    /// <summary>The keys recipes use, in a fixed order.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.ConvertAll(Table, t => t.Key);

    internal static OvfOsType Get(string key) =>
        Array.Find(Table, t => t.Key == key)
        ?? throw new ArgumentException($"unknown OS type '{key}' (known: {string.Join(", ", Names)})");
}
