using System.Xml.Linq;
using ImageBuild.Packaging.Ovf;

namespace ImageBuild.Packaging.Tests.Ovf;

/// <summary>Seeded violations of DSP0243: each edit of a good descriptor must be caught, naming its section.</summary>
[TestClass]
public sealed class OvfRulesTests
{
    private static (XDocument Doc, XNamespace Ovf) Good()
    {
        var d = OvfTestData.TwoDiskDescriptor();
        return (d, OvfTestData.Ovf(d));
    }

    private static void AssertCaught(XDocument d, string expected, IReadOnlyCollection<string>? package = null)
    {
        var violations = OvfRules.Check(d, package ?? OvfTestData.TwoDiskPackage);
        Assert.IsTrue(violations.Any(v => v.Contains(expected, StringComparison.Ordinal)),
            $"expected a violation containing '{expected}', got:\n{string.Join("\n", violations)}");
        Assert.IsTrue(violations.All(v => v.StartsWith('§') && !v.Contains('\n')), string.Join("\n", violations));
    }

    private static XElement ItemWithId(XDocument d, string id) =>
        d.Descendants(OvfTestData.Rasd + "InstanceID").Single(e => e.Value == id).Parent!;

    [TestMethod]
    public void Good_descriptor_has_no_violation()
    {
        var (d, _) = Good();
        Assert.AreEqual(0, OvfRules.Check(d).Count);
        Assert.AreEqual(0, OvfRules.Check(d, OvfTestData.TwoDiskPackage).Count);
    }

    [TestMethod]
    public void Missing_references_entry_is_caught()
    {
        var (d, ovf) = Good();
        d.Root!.Element(ovf + "References")!.Elements(ovf + "File").Last().Remove();
        AssertCaught(d, "§9.1: Disk 'vmdisk2' ovf:fileRef 'file2' names no File");
        AssertCaught(d, "§5.1: package file 'appliance-disk2.vmdk' is not in References");
    }

    [TestMethod]
    public void Referenced_file_missing_from_the_package_is_caught()
    {
        var (d, _) = Good();
        AssertCaught(d, "§5.1: File 'appliance-disk2.vmdk' is referenced but not in the package", ["appliance.ovf", "appliance-disk1.vmdk"]);
    }

    [TestMethod]
    [DataRow("GB")]
    [DataRow("bytes")]
    [DataRow("byte * 2^")]
    [DataRow("MegaBytes")]
    public void Wrong_capacity_units_are_caught(string units)
    {
        var (d, ovf) = Good();
        d.Root!.Element(ovf + "DiskSection")!.Element(ovf + "Disk")!.SetAttributeValue(ovf + "capacityAllocationUnits", units);
        AssertCaught(d, $"capacityAllocationUnits '{units}' is not a programmatic unit of bytes");
    }

    [TestMethod]
    public void Programmatic_byte_units_are_accepted_and_scale_the_capacity()
    {
        var (d, ovf) = Good();
        var disk = d.Root!.Element(ovf + "DiskSection")!.Element(ovf + "Disk")!;
        disk.SetAttributeValue(ovf + "capacityAllocationUnits", "byte * 2^30");
        disk.SetAttributeValue(ovf + "capacity", "10");
        Assert.AreEqual(0, OvfRules.Check(d).Count, string.Join("\n", OvfRules.Check(d)));
        disk.SetAttributeValue(ovf + "populatedSize", (11L << 30).ToString());
        AssertCaught(d, "ovf:populatedSize 11811160064 exceeds its capacity");
    }

    [TestMethod]
    public void Non_numeric_capacity_is_caught()
    {
        var (d, ovf) = Good();
        d.Root!.Element(ovf + "DiskSection")!.Element(ovf + "Disk")!.SetAttributeValue(ovf + "capacity", "10G");
        AssertCaught(d, "§9.1: Disk 'vmdisk1' ovf:capacity '10G' is not a positive integer");
    }

    [TestMethod]
    public void Duplicate_instance_id_is_caught()
    {
        var (d, _) = Good();
        ItemWithId(d, "5").Element(OvfTestData.Rasd + "InstanceID")!.Value = "4";
        AssertCaught(d, "§8.3: rasd:InstanceID '4' is not unique");
    }

    [TestMethod]
    public void Duplicate_disk_and_file_ids_are_caught()
    {
        var (d, ovf) = Good();
        d.Root!.Element(ovf + "DiskSection")!.Elements(ovf + "Disk").Last().SetAttributeValue(ovf + "diskId", "vmdisk1");
        d.Root.Element(ovf + "References")!.Elements(ovf + "File").Last().SetAttributeValue(ovf + "id", "file1");
        AssertCaught(d, "§9.1: Disk ovf:diskId 'vmdisk1' is not unique");
        AssertCaught(d, "§7.1: File ovf:id 'file1' is not unique");
    }

    [TestMethod]
    public void Host_resource_naming_no_disk_is_caught()
    {
        var (d, _) = Good();
        ItemWithId(d, "5").Element(OvfTestData.Rasd + "HostResource")!.Value = "ovf:/disk/vmdisk9";
        AssertCaught(d, "§8.3: Item 5 rasd:HostResource 'ovf:/disk/vmdisk9' names no Disk");
    }

    [TestMethod]
    public void Parent_naming_no_item_is_caught()
    {
        var (d, _) = Good();
        ItemWithId(d, "4").Element(OvfTestData.Rasd + "Parent")!.Value = "42";
        AssertCaught(d, "§8.3: Item 4 rasd:Parent '42' names no Item");
    }

    [TestMethod]
    public void Connection_to_an_undeclared_network_is_caught()
    {
        var (d, ovf) = Good();
        d.Root!.Element(ovf + "NetworkSection")!.Element(ovf + "Network")!.SetAttributeValue(ovf + "name", "Other");
        AssertCaught(d, "§9.2: Item 6 rasd:Connection 'VM Network' names no Network");
    }

    [TestMethod]
    public void Rasd_properties_out_of_schema_order_are_caught()
    {
        var (d, _) = Good();
        var item = ItemWithId(d, "1");
        var units = item.Element(OvfTestData.Rasd + "AllocationUnits")!;
        units.Remove();
        item.Add(units);
        AssertCaught(d, "§8.3: Item 1 has rasd:AllocationUnits after rasd:VirtualQuantity");
    }

    [TestMethod]
    public void Wrong_memory_units_and_zero_cpus_are_caught()
    {
        var (d, _) = Good();
        ItemWithId(d, "2").Element(OvfTestData.Rasd + "AllocationUnits")!.Value = "MB";
        ItemWithId(d, "1").Element(OvfTestData.Rasd + "VirtualQuantity")!.Value = "0";
        AssertCaught(d, "§8.3: Item 2 rasd:AllocationUnits 'MB' is not a programmatic unit of bytes");
        AssertCaught(d, "§8.3: Item 1 rasd:VirtualQuantity '0' is not a positive integer");
    }

    [TestMethod]
    public void References_not_first_is_caught()
    {
        var (d, ovf) = Good();
        var refs = d.Root!.Element(ovf + "References")!;
        refs.Remove();
        d.Root.Element(ovf + "DiskSection")!.AddAfterSelf(refs);
        AssertCaught(d, "§7.1: References is not the Envelope's first child");
    }

    [TestMethod]
    public void Section_without_info_is_caught()
    {
        var (d, ovf) = Good();
        d.Root!.Element(ovf + "DiskSection")!.Element(ovf + "Info")!.Remove();
        AssertCaught(d, "§9: DiskSection does not begin with an Info element");
    }

    [TestMethod]
    [DataRow("/etc/passwd")]
    [DataRow("../disk.vmdk")]
    [DataRow("http://example.invalid/disk.vmdk")]
    public void Href_outside_the_package_is_caught(string href)
    {
        var (d, ovf) = Good();
        d.Root!.Element(ovf + "References")!.Element(ovf + "File")!.SetAttributeValue(ovf + "href", href);
        AssertCaught(d, $"ovf:href '{href}' is not a relative path inside the package", [href, .. OvfTestData.TwoDiskPackage]);
    }

    [TestMethod]
    public void Two_virtual_systems_and_a_section_after_content_are_caught()
    {
        var (d, ovf) = Good();
        var vs = d.Root!.Element(ovf + "VirtualSystem")!;
        vs.AddAfterSelf(new XElement(vs));
        AssertCaught(d, "§7.2: the Envelope has 2 Content elements");
        AssertCaught(d, "§7.2: Content ovf:id 'appliance' is not unique");

        (d, ovf) = Good();
        var disks = d.Root!.Element(ovf + "DiskSection")!;
        disks.Remove();
        d.Root.Add(disks);
        AssertCaught(d, "§7.2: a section follows the Content element");
    }

    [TestMethod]
    public void Non_numeric_os_id_and_wrong_root_are_caught()
    {
        var (d, ovf) = Good();
        d.Descendants(ovf + "OperatingSystemSection").Single().SetAttributeValue(ovf + "id", "ubuntu");
        AssertCaught(d, "§9.9: OperatingSystemSection ovf:id 'ubuntu'");

        var wrong = new XDocument(new XElement(XName.Get("Envelope", "http://www.vmware.com/schema/ovf/1/envelope")));
        AssertCaught(wrong, "§7: the root element is");
    }
}

/// <summary>DSP0243 §5.3: the member order of an OVA.</summary>
[TestClass]
public sealed class OvfArchiveOrderTests
{
    [TestMethod]
    public void Descriptor_manifest_then_references_order_passes()
    {
        var d = OvfTestData.TwoDiskDescriptor();
        Assert.AreEqual(0, OvfRules.CheckArchiveOrder(d, OvfTestData.TwoDiskPackage).Count);
        Assert.AreEqual(0, OvfRules.CheckArchiveOrder(d, ["appliance.ovf", "appliance-disk1.vmdk", "appliance-disk2.vmdk"]).Count);
        Assert.AreEqual(0, OvfRules.CheckArchiveOrder(d, ["appliance.ovf", "appliance.mf", "appliance.cert", "appliance-disk1.vmdk", "appliance-disk2.vmdk"]).Count);
    }

    [TestMethod]
    [DataRow("appliance.mf,appliance.ovf,appliance-disk1.vmdk,appliance-disk2.vmdk", "§5.3: the first member is 'appliance.mf'")]
    [DataRow("appliance.ovf,appliance-disk1.vmdk,appliance.mf,appliance-disk2.vmdk", "§5.3: the members are")]
    [DataRow("appliance.ovf,appliance.mf,appliance-disk2.vmdk,appliance-disk1.vmdk", "§5.3: the members are")]
    [DataRow("appliance.ovf,appliance.mf,appliance-disk1.vmdk", "§5.3: the members are")]
    [DataRow("appliance.ovf,appliance.mf,appliance-disk1.vmdk,appliance-disk2.vmdk,extra.txt", "§5.3: the members are")]
    public void Wrong_orders_are_caught(string members, string expected)
    {
        var violations = OvfRules.CheckArchiveOrder(OvfTestData.TwoDiskDescriptor(), members.Split(','));
        Assert.HasCount(1, violations);
        Assert.StartsWith(expected, violations[0]);
    }
}
