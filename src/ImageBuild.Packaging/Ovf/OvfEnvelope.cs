using System.Globalization;
using System.Text;
using System.Xml;

namespace ImageBuild.Packaging.Ovf;

/// <summary>
/// Writes an OVF descriptor (DMTF DSP0243) for one virtual system with its disks: References (§7.1) lists each disk
/// file with its size, DiskSection (§9.1) each disk with its capacity in bytes and the streamOptimized VMDK format,
/// NetworkSection (§9.2) the network the NIC connects to, and the VirtualSystem (§7.2) an OperatingSystemSection
/// (§9.9, CIM OsType id plus VMware's vmw:osType and VirtualBox's vbox:OSType) and a VirtualHardwareSection (§8) of
/// CIM RASD items: CPUs, memory, the disk controller, one disk drive per disk, the NIC. The bytes are UTF-8 without
/// BOM, '\n' line ends, two-space indentation, elements and attributes in a fixed order: the same arguments give the
/// same bytes. What it writes passes <see cref="OvfRules"/>.
/// </summary>
public static class OvfEnvelope
{
    /// <summary>vssd:VirtualSystemType: VMware's hardware version 13 (ESXi 6.5 and later, Workstation 14 and later).</summary>
    public const string VirtualSystemType = "vmx-13";

    public static byte[] Write(OvfVersion version, VirtualHardware hardware, IReadOnlyList<OvfDiskFile> disks)
    {
        ArgumentNullException.ThrowIfNull(hardware);
        ArgumentNullException.ThrowIfNull(disks);
        HardwareValidation.Check(hardware);
        var os = OvfOsTypes.Get(hardware.OsType);
        var controller = OvfControllers.Get(hardware.DiskController);
        var nic = OvfNics.Get(hardware.Nic);
        if (disks.Count == 0)
            throw new ArgumentException("an OVF envelope needs at least one disk");
        if (disks.Count > controller.MaxDisks)
            throw new ArgumentException($"{disks.Count} disks do not fit on one {controller.Key} controller (at most {controller.MaxDisks})");
        foreach (var d in disks)
        {
            if (!HardwareValidation.IsPlainFileName(d.FileName))
                throw new ArgumentException($"disk file name '{d.FileName}' is not a plain file name");
            if (d.FileSize < 0 || d.CapacityBytes <= 0 || d.PopulatedSize is < 0)
                throw new ArgumentException($"disk file '{d.FileName}' has a negative size or no capacity");
        }

        string ns = OvfNames.EnvelopeNamespace(version);
        var buffer = new MemoryStream();
        var settings = new XmlWriterSettings
        {
            Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            Indent = true,
            IndentChars = "  ",
            NewLineChars = "\n",
            NewLineHandling = NewLineHandling.Replace,
        };
        using (var x = XmlWriter.Create(buffer, settings))
        {
            x.WriteStartDocument();
            x.WriteStartElement("", "Envelope", ns);
            x.WriteAttributeString("xmlns", ns);
            x.WriteAttributeString("xmlns", "ovf", null, ns);
            x.WriteAttributeString("xmlns", "rasd", null, OvfNames.Rasd);
            x.WriteAttributeString("xmlns", "vssd", null, OvfNames.Vssd);
            x.WriteAttributeString("xmlns", "vmw", null, OvfNames.Vmw);
            x.WriteAttributeString("xmlns", "vbox", null, OvfNames.Vbox);
            x.WriteAttributeString("xml", "lang", null, "en-US");

            x.WriteStartElement("", "References", ns);
            for (int i = 0; i < disks.Count; i++)
            {
                x.WriteStartElement("", "File", ns);
                x.WriteAttributeString("ovf", "id", ns, FileId(i));
                x.WriteAttributeString("ovf", "href", ns, disks[i].FileName);
                x.WriteAttributeString("ovf", "size", ns, Num(disks[i].FileSize));
                x.WriteEndElement();
            }
            x.WriteEndElement();

            x.WriteStartElement("", "DiskSection", ns);
            x.WriteElementString("", "Info", ns, "Virtual disk information");
            for (int i = 0; i < disks.Count; i++)
            {
                x.WriteStartElement("", "Disk", ns);
                x.WriteAttributeString("ovf", "diskId", ns, DiskId(i));
                x.WriteAttributeString("ovf", "fileRef", ns, FileId(i));
                x.WriteAttributeString("ovf", "capacity", ns, Num(disks[i].CapacityBytes));
                x.WriteAttributeString("ovf", "capacityAllocationUnits", ns, "byte");
                x.WriteAttributeString("ovf", "format", ns, OvfNames.StreamOptimizedVmdk);
                if (disks[i].PopulatedSize is long populated)
                    x.WriteAttributeString("ovf", "populatedSize", ns, Num(populated));
                x.WriteEndElement();
            }
            x.WriteEndElement();

            if (nic.ResourceSubType is not null)
            {
                x.WriteStartElement("", "NetworkSection", ns);
                x.WriteElementString("", "Info", ns, "The list of logical networks");
                x.WriteStartElement("", "Network", ns);
                x.WriteAttributeString("ovf", "name", ns, hardware.NetworkName);
                x.WriteElementString("", "Description", ns, $"The {hardware.NetworkName} network");
                x.WriteEndElement();
                x.WriteEndElement();
            }

            x.WriteStartElement("", "VirtualSystem", ns);
            x.WriteAttributeString("ovf", "id", ns, hardware.Name);
            x.WriteElementString("", "Info", ns, "A virtual machine");
            x.WriteElementString("", "Name", ns, hardware.Name);

            x.WriteStartElement("", "OperatingSystemSection", ns);
            x.WriteAttributeString("ovf", "id", ns, Num(os.CimId));
            x.WriteAttributeString("vmw", "osType", OvfNames.Vmw, os.VmwareOsType);
            x.WriteElementString("", "Info", ns, "The kind of installed guest operating system");
            x.WriteElementString("", "Description", ns, os.CimDescription);
            x.WriteStartElement("vbox", "OSType", OvfNames.Vbox);
            x.WriteAttributeString("ovf", "required", ns, "false");
            x.WriteString(os.VirtualBoxOsType);
            x.WriteEndElement();
            x.WriteEndElement();

            x.WriteStartElement("", "VirtualHardwareSection", ns);
            x.WriteElementString("", "Info", ns, "Virtual hardware requirements");
            x.WriteStartElement("", "System", ns);
            x.WriteElementString("vssd", "ElementName", OvfNames.Vssd, "Virtual Hardware Family");
            x.WriteElementString("vssd", "InstanceID", OvfNames.Vssd, "0");
            x.WriteElementString("vssd", "VirtualSystemIdentifier", OvfNames.Vssd, hardware.Name);
            x.WriteElementString("vssd", "VirtualSystemType", OvfNames.Vssd, VirtualSystemType);
            x.WriteEndElement();

            // RASD properties in the schema's (alphabetical) order, as OvfRules checks
            int id = 1;
            Item(x, ns, [
                ("AllocationUnits", "hertz * 10^6"),
                ("Description", "Number of Virtual CPUs"),
                ("ElementName", $"{Num(hardware.Cpus)} virtual CPU(s)"),
                ("InstanceID", Num(id++)),
                ("ResourceType", "3"),
                ("VirtualQuantity", Num(hardware.Cpus))]);
            Item(x, ns, [
                ("AllocationUnits", "byte * 2^20"),
                ("Description", "Memory Size"),
                ("ElementName", $"{Num(hardware.MemoryMiB)}MB of memory"),
                ("InstanceID", Num(id++)),
                ("ResourceType", "4"),
                ("VirtualQuantity", Num(hardware.MemoryMiB))]);
            int controllerId = id++;
            var controllerItem = new List<(string, string)>
            {
                ("Address", "0"),
                ("Description", controller.Description),
                ("ElementName", controller.Description + " 0"),
                ("InstanceID", Num(controllerId)),
            };
            if (controller.ResourceSubType is not null)
                controllerItem.Add(("ResourceSubType", controller.ResourceSubType));
            controllerItem.Add(("ResourceType", Num(controller.ResourceType)));
            Item(x, ns, controllerItem);
            for (int i = 0; i < disks.Count; i++)
            {
                Item(x, ns, [
                    ("AddressOnParent", Num(controller.Address(i))),
                    ("ElementName", $"Hard Disk {Num(i + 1)}"),
                    ("HostResource", "ovf:/disk/" + DiskId(i)),
                    ("InstanceID", Num(id++)),
                    ("Parent", Num(controllerId)),
                    ("ResourceType", "17")]);
            }
            if (nic.ResourceSubType is not null)
            {
                Item(x, ns, [
                    ("AutomaticAllocation", "true"),
                    ("Connection", hardware.NetworkName),
                    ("Description", $"{nic.ResourceSubType} ethernet adapter on \"{hardware.NetworkName}\""),
                    ("ElementName", "Network adapter 1"),
                    ("InstanceID", Num(id++)),
                    ("ResourceSubType", nic.ResourceSubType),
                    ("ResourceType", "10")]);
            }
            x.WriteEndElement(); // VirtualHardwareSection
            x.WriteEndElement(); // VirtualSystem
            x.WriteEndElement(); // Envelope
            x.WriteEndDocument();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>References/File ovf:id of the <paramref name="index"/>-th disk.</summary>
    internal static string FileId(int index) => "file" + Num(index + 1);

    /// <summary>DiskSection/Disk ovf:diskId of the <paramref name="index"/>-th disk.</summary>
    internal static string DiskId(int index) => "vmdisk" + Num(index + 1);

    private static void Item(XmlWriter x, string ns, IEnumerable<(string Name, string Value)> properties)
    {
        x.WriteStartElement("", "Item", ns);
        foreach (var (name, value) in properties)
            x.WriteElementString("rasd", name, OvfNames.Rasd, value);
        x.WriteEndElement();
    }

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);
}
