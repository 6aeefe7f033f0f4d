using System.Text;
using System.Xml.Linq;
using ImageBuild.Packaging.Ovf;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Packaging.Tests.Ovf;

[TestClass]
public sealed class OvfEnvelopeTests
{
    [TestMethod]
    [DataRow(OvfVersion.V1_0, "http://schemas.dmtf.org/ovf/envelope/1")]
    [DataRow(OvfVersion.V2_0, "http://schemas.dmtf.org/ovf/envelope/2")]
    public void Written_descriptor_is_in_the_version_namespace_and_follows_the_rules(OvfVersion version, string ns)
    {
        var d = OvfTestData.TwoDiskDescriptor(version);
        Assert.AreEqual(XName.Get("Envelope", ns), d.Root!.Name);
        var violations = OvfRules.Check(d, OvfTestData.TwoDiskPackage);
        Assert.AreEqual(0, violations.Count, string.Join("\n", violations));
    }

    [TestMethod]
    public void Every_controller_nic_and_os_type_gives_a_descriptor_that_follows_the_rules()
    {
        foreach (string controller in OvfControllers.Names)
        foreach (string nic in OvfNics.Names)
        foreach (string os in OvfOsTypes.Names)
        {
            var hw = OvfTestData.Machine with { DiskController = controller, Nic = nic, OsType = os };
            var d = OvfTestData.Parse(OvfEnvelope.Write(OvfVersion.V1_0, hw, OvfTestData.TwoDisks));
            var violations = OvfRules.Check(d, OvfTestData.TwoDiskPackage);
            Assert.AreEqual(0, violations.Count, $"{controller}/{nic}/{os}: " + string.Join("\n", violations));
        }
    }

    [TestMethod]
    public void Descriptor_is_well_formed_for_xmllint()
    {
        using var dir = new TempDir();
        foreach (var version in new[] { OvfVersion.V1_0, OvfVersion.V2_0 })
        {
            string path = dir[$"v{(int)version}.ovf"];
            File.WriteAllBytes(path, OvfEnvelope.Write(version, OvfTestData.Machine, OvfTestData.TwoDisks));
            var r = Tools.Ok("xmllint", dir.Path, "--noout", path);
            Assert.AreEqual("", r.StdErr);
        }
    }

    [TestMethod]
    public void Bytes_are_utf8_without_bom_with_lf_line_ends_and_the_same_every_time()
    {
        byte[] a = OvfEnvelope.Write(OvfVersion.V1_0, OvfTestData.Machine, OvfTestData.TwoDisks);
        byte[] b = OvfEnvelope.Write(OvfVersion.V1_0, OvfTestData.Machine with { }, OvfTestData.TwoDisks.ToArray());
        CollectionAssert.AreEqual(a, b);
        Assert.AreNotEqual((byte)0xEF, a[0]);
        string text = Encoding.UTF8.GetString(a);
        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Envelope ", text);
        Assert.DoesNotContain("\r", text);
        Assert.EndsWith("</Envelope>\n", text);
    }

    [TestMethod]
    public void Hardware_disks_and_os_are_described_as_the_recipe_says()
    {
        var d = OvfTestData.TwoDiskDescriptor();
        XNamespace ovf = OvfTestData.Ovf(d);
        var rasd = OvfTestData.Rasd;

        var files = d.Root!.Element(ovf + "References")!.Elements(ovf + "File").ToList();
        Assert.HasCount(2, files);
        Assert.AreEqual("appliance-disk1.vmdk", (string?)files[0].Attribute(ovf + "href"));
        Assert.AreEqual("123456", (string?)files[0].Attribute(ovf + "size"));

        var disks = d.Root.Element(ovf + "DiskSection")!.Elements(ovf + "Disk").ToList();
        Assert.AreEqual((10L << 30).ToString(), (string?)disks[0].Attribute(ovf + "capacity"));
        Assert.AreEqual("byte", (string?)disks[0].Attribute(ovf + "capacityAllocationUnits"));
        Assert.AreEqual((5L << 20).ToString(), (string?)disks[0].Attribute(ovf + "populatedSize"));
        Assert.IsNull(disks[1].Attribute(ovf + "populatedSize"));
        Assert.AreEqual("http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized", (string?)disks[1].Attribute(ovf + "format"));

        var vs = d.Root.Element(ovf + "VirtualSystem")!;
        Assert.AreEqual("appliance", (string?)vs.Attribute(ovf + "id"));
        var os = vs.Element(ovf + "OperatingSystemSection")!;
        Assert.AreEqual("94", (string?)os.Attribute(ovf + "id"));
        Assert.AreEqual("ubuntu64Guest", (string?)os.Attribute(XName.Get("osType", "http://www.vmware.com/schema/ovf")));
        Assert.AreEqual("Ubuntu_64", (string?)os.Element(XName.Get("OSType", "http://www.virtualbox.org/ovf/machine")));

        var items = vs.Element(ovf + "VirtualHardwareSection")!.Elements(ovf + "Item")
            .ToDictionary(i => (string)i.Element(rasd + "InstanceID")!);
        Assert.AreEqual("3", (string?)items["1"].Element(rasd + "ResourceType"));
        Assert.AreEqual("2", (string?)items["1"].Element(rasd + "VirtualQuantity"));
        Assert.AreEqual("4", (string?)items["2"].Element(rasd + "ResourceType"));
        Assert.AreEqual("2048", (string?)items["2"].Element(rasd + "VirtualQuantity"));
        Assert.AreEqual("6", (string?)items["3"].Element(rasd + "ResourceType"));
        Assert.AreEqual("lsilogic", (string?)items["3"].Element(rasd + "ResourceSubType"));
        Assert.AreEqual("ovf:/disk/vmdisk1", (string?)items["4"].Element(rasd + "HostResource"));
        Assert.AreEqual("ovf:/disk/vmdisk2", (string?)items["5"].Element(rasd + "HostResource"));
        Assert.AreEqual("3", (string?)items["5"].Element(rasd + "Parent"));
        Assert.AreEqual("1", (string?)items["5"].Element(rasd + "AddressOnParent"));
        Assert.AreEqual("10", (string?)items["6"].Element(rasd + "ResourceType"));
        Assert.AreEqual("VmxNet3", (string?)items["6"].Element(rasd + "ResourceSubType"));
        Assert.AreEqual("VM Network", (string?)items["6"].Element(rasd + "Connection"));
        Assert.AreEqual("VM Network", (string?)d.Root.Element(ovf + "NetworkSection")!.Element(ovf + "Network")!.Attribute(ovf + "name"));
    }

    [TestMethod]
    public void Sata_and_ide_controllers_and_no_nic()
    {
        var d = OvfTestData.Parse(OvfEnvelope.Write(OvfVersion.V1_0, OvfTestData.Machine with { DiskController = "sata", Nic = "none" }, OvfTestData.TwoDisks));
        XNamespace ovf = OvfTestData.Ovf(d);
        var items = d.Descendants(ovf + "Item").ToList();
        Assert.IsTrue(items.Any(i => (string?)i.Element(OvfTestData.Rasd + "ResourceType") == "20" && (string?)i.Element(OvfTestData.Rasd + "ResourceSubType") == "vmware.sata.ahci"));
        Assert.IsFalse(items.Any(i => (string?)i.Element(OvfTestData.Rasd + "ResourceType") == "10"));
        Assert.IsNull(d.Root!.Element(ovf + "NetworkSection"));

        d = OvfTestData.Parse(OvfEnvelope.Write(OvfVersion.V1_0, OvfTestData.Machine with { DiskController = "ide" }, OvfTestData.TwoDisks));
        Assert.IsTrue(d.Descendants(ovf + "Item").Any(i => (string?)i.Element(OvfTestData.Rasd + "ResourceType") == "5"));
    }

    [TestMethod]
    public void Scsi_disks_skip_unit_7_the_hba()
    {
        var disks = Enumerable.Range(1, 9).Select(i => new OvfDiskFile($"d{i}.vmdk", 1, 1 << 20, null)).ToArray();
        var d = OvfTestData.Parse(OvfEnvelope.Write(OvfVersion.V1_0, OvfTestData.Machine, disks));
        var addresses = d.Descendants(OvfTestData.Rasd + "AddressOnParent").Select(a => a.Value).ToList();
        CollectionAssert.AreEqual(new[] { "0", "1", "2", "3", "4", "5", "6", "8", "9" }, addresses);
    }

    [TestMethod]
    public void Bad_hardware_is_refused_with_a_one_line_message()
    {
        var cases = new (VirtualHardware Hw, IReadOnlyList<OvfDiskFile> Disks, string Expected)[]
        {
            (OvfTestData.Machine with { OsType = "beos" }, OvfTestData.TwoDisks, "unknown OS type 'beos'"),
            (OvfTestData.Machine with { DiskController = "nvme" }, OvfTestData.TwoDisks, "unknown disk controller 'nvme'"),
            (OvfTestData.Machine with { Nic = "virtio" }, OvfTestData.TwoDisks, "unknown NIC 'virtio'"),
            (OvfTestData.Machine with { Name = "../evil" }, OvfTestData.TwoDisks, "virtual machine name '../evil'"),
            (OvfTestData.Machine with { Cpus = 0 }, OvfTestData.TwoDisks, "CPU count 0"),
            (OvfTestData.Machine, [], "at least one disk"),
            (OvfTestData.Machine with { DiskController = "ide" }, [.. OvfTestData.TwoDisks, new("c.vmdk", 1, 1, null)], "do not fit on one ide controller"),
            (OvfTestData.Machine, [new("a/b.vmdk", 1, 1, null)], "not a plain file name"),
        };
        foreach (var (hw, disks, expected) in cases)
        {
            var e = Assert.ThrowsExactly<ArgumentException>(() => OvfEnvelope.Write(OvfVersion.V1_0, hw, disks));
            Assert.Contains(expected, e.Message);
            Assert.DoesNotContain("\n", e.Message);
        }
    }
}
