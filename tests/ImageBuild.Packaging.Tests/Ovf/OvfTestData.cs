using System.Xml.Linq;
using ImageBuild.Packaging.Ovf;

namespace ImageBuild.Packaging.Tests.Ovf;

/// <summary>Descriptors the OVF tests start from: what OvfEnvelope writes for a typical machine.</summary>
internal static class OvfTestData
{
    public static readonly VirtualHardware Machine = new()
    {
        Name = "appliance",
        Cpus = 2,
        MemoryMiB = 2048,
        OsType = "ubuntu-64",
    };

    public static readonly OvfDiskFile[] TwoDisks =
    [
        new("appliance-disk1.vmdk", 123_456, 10L << 30, 5L << 20),
        new("appliance-disk2.vmdk", 654_321, 1L << 30, null),
    ];

    public static readonly string[] TwoDiskPackage = ["appliance.ovf", "appliance.mf", "appliance-disk1.vmdk", "appliance-disk2.vmdk"];

    public static XDocument Parse(byte[] descriptor)
    {
        using var stream = new MemoryStream(descriptor);
        return XDocument.Load(stream);
    }

    public static XDocument TwoDiskDescriptor(OvfVersion version = OvfVersion.V1_0) =>
        Parse(OvfEnvelope.Write(version, Machine, TwoDisks));

    public static XNamespace Ovf(XDocument d) => d.Root!.Name.Namespace;

    public static readonly XNamespace Rasd = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData";
}
