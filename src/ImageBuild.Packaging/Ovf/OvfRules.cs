using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace ImageBuild.Packaging.Ovf;

/// <summary>
/// Rules of DMTF DSP0243 (section numbers of DSP0243 1.1.0, kept in 2.x) that an OVF descriptor and its package must
/// follow, as code. Each violation is one line beginning with the section it breaks. The rules:
/// <list type="bullet">
/// <item>§7: the root is an Envelope in the OVF 1.x or 2.x envelope namespace.</item>
/// <item>§7.1: References is the Envelope's first child and occurs once; each File has a unique ovf:id and an
/// ovf:href that is a relative path inside the package (no scheme, no leading '/', no '..'); ovf:size is a
/// non-negative integer.</item>
/// <item>§5.1 (with the package's file names): each File's href is in the package, and every file of the package
/// other than the descriptor (.ovf), manifest (.mf) and certificate (.cert) is referenced by a File.</item>
/// <item>§7.2: the Envelope holds exactly one Content element (VirtualSystem or VirtualSystemCollection), after
/// every section; Content elements carry an ovf:id, unique in the descriptor.</item>
/// <item>§7.2, §9: every Content element and every section begins with an Info element.</item>
/// <item>§9.1: each Disk has a unique ovf:diskId, an ovf:format, and a positive integer ovf:capacity whose
/// ovf:capacityAllocationUnits, when given, is a programmatic unit of bytes (DSP0004 Annex C.1: "byte", "byte * 2^n",
/// "byte * 10^n"); its ovf:fileRef names a File; ovf:populatedSize is an integer not above the capacity.</item>
/// <item>§8.3: in a VirtualHardwareSection each Item has rasd:ElementName, rasd:ResourceType and a rasd:InstanceID
/// unique in the section; its rasd properties are in the order of the CIM RASD schema's sequence (alphabetical);
/// rasd:Parent names an InstanceID of the section; rasd:HostResource "ovf:/disk/ID" names a Disk and "ovf:/file/ID"
/// a File; processor and memory Items give a positive integer rasd:VirtualQuantity in programmatic units
/// ("hertz * 10^n", bytes as above).</item>
/// <item>§9.2: each rasd:Connection names a Network of the NetworkSection.</item>
/// <item>§9.9: an OperatingSystemSection's ovf:id is a non-negative integer (a CIM_OperatingSystem.OsType value).</item>
/// <item>§5.3 (<see cref="CheckArchiveOrder"/>): in an OVA the descriptor is the first member, the manifest and
/// certificate (when present) follow it in that order, then the referenced files in References order.</item>
/// </list>
/// </summary>
public static partial class OvfRules
{
    /// <summary>The violations of <paramref name="descriptor"/> (empty: it follows every rule above).</summary>
    /// <param name="descriptor">The parsed descriptor.</param>
    /// <param name="packageFiles">The names of the package's files, descriptor and manifest included; null checks the descriptor alone.</param>
    public static IReadOnlyList<string> Check(XDocument descriptor, IReadOnlyCollection<string>? packageFiles = null)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        var v = new List<string>();
        var root = descriptor.Root;
        XNamespace ns = root?.Name.NamespaceName ?? "";
        if (root is null || root.Name.LocalName != "Envelope" || (ns != OvfNames.Envelope1 && ns != OvfNames.Envelope2))
        {
            v.Add($"§7: the root element is {root?.Name.ToString() ?? "missing"}, not an Envelope of {OvfNames.Envelope1} or {OvfNames.Envelope2}");
            return v;
        }
        XNamespace rasd = OvfNames.Rasd;
        var children = root.Elements().ToList();

        // §7.1 References
        var references = children.Where(e => e.Name == ns + "References").ToList();
        if (references.Count != 1)
            v.Add($"§7.1: the Envelope has {references.Count} References elements, not one");
        if (children.Count == 0 || children[0].Name != ns + "References")
            v.Add("§7.1: References is not the Envelope's first child");
        var fileIds = new HashSet<string>(StringComparer.Ordinal);
        var hrefs = new List<string>();
        foreach (var file in references.SelectMany(r => r.Elements(ns + "File")))
        {
            string? id = (string?)file.Attribute(ns + "id");
            string? href = (string?)file.Attribute(ns + "href");
            if (string.IsNullOrEmpty(id))
                v.Add("§7.1: a File has no ovf:id");
            else if (!fileIds.Add(id))
                v.Add($"§7.1: File ovf:id '{id}' is not unique");
            if (string.IsNullOrEmpty(href))
                v.Add($"§7.1: File '{id}' has no ovf:href");
            else
            {
                hrefs.Add(href);
                if (!IsRelativePackagePath(href))
                    v.Add($"§7.1: File '{id}' ovf:href '{href}' is not a relative path inside the package");
            }
            if (file.Attribute(ns + "size") is { } size && !IsNonNegativeInteger(size.Value))
                v.Add($"§7.1: File '{id}' ovf:size '{size.Value}' is not a non-negative integer");
        }

        // §5.1 the package's files against References
        if (packageFiles is not null)
        {
            var present = new HashSet<string>(packageFiles, StringComparer.Ordinal);
            foreach (string href in hrefs.Where(h => !present.Contains(h)))
                v.Add($"§5.1: File '{href}' is referenced but not in the package");
            var referenced = new HashSet<string>(hrefs, StringComparer.Ordinal);
            foreach (string name in packageFiles)
            {
                string ext = Path.GetExtension(name).ToLowerInvariant();
                if (ext is not (".ovf" or ".mf" or ".cert") && !referenced.Contains(name))
                    v.Add($"§5.1: package file '{name}' is not in References");
            }
        }

        // §7.2 Content
        var content = children.Where(e => e.Name == ns + "VirtualSystem" || e.Name == ns + "VirtualSystemCollection").ToList();
        if (content.Count != 1)
            v.Add($"§7.2: the Envelope has {content.Count} Content elements (VirtualSystem or VirtualSystemCollection), not one");
        else if (children.Skip(children.IndexOf(content[0]) + 1).Any(e => e.Name.LocalName.EndsWith("Section", StringComparison.Ordinal)))
            v.Add("§7.2: a section follows the Content element");
        var contentIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in root.Descendants().Where(e => e.Name == ns + "VirtualSystem" || e.Name == ns + "VirtualSystemCollection"))
        {
            string? id = (string?)c.Attribute(ns + "id");
            if (string.IsNullOrEmpty(id))
                v.Add($"§7.2: a {c.Name.LocalName} has no ovf:id");
            else if (!contentIds.Add(id))
                v.Add($"§7.2: Content ovf:id '{id}' is not unique");
        }

        // §7.2, §9 Info first
        foreach (var e in root.Descendants().Where(e => e.Name.Namespace == ns && (e.Name.LocalName.EndsWith("Section", StringComparison.Ordinal) || e.Name.LocalName is "VirtualSystem" or "VirtualSystemCollection")))
        {
            if (e.Elements().FirstOrDefault()?.Name != ns + "Info")
                v.Add($"§9: {e.Name.LocalName} does not begin with an Info element");
        }

        // §9.1 DiskSection
        var diskIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var disk in children.Where(e => e.Name == ns + "DiskSection").SelectMany(s => s.Elements(ns + "Disk")))
        {
            string? id = (string?)disk.Attribute(ns + "diskId");
            if (string.IsNullOrEmpty(id))
                v.Add("§9.1: a Disk has no ovf:diskId");
            else if (!diskIds.Add(id))
                v.Add($"§9.1: Disk ovf:diskId '{id}' is not unique");
            if (string.IsNullOrEmpty((string?)disk.Attribute(ns + "format")))
                v.Add($"§9.1: Disk '{id}' has no ovf:format");
            if ((string?)disk.Attribute(ns + "fileRef") is { } fileRef && !fileIds.Contains(fileRef))
                v.Add($"§9.1: Disk '{id}' ovf:fileRef '{fileRef}' names no File");
            long? unit = 1;
            if ((string?)disk.Attribute(ns + "capacityAllocationUnits") is { } units)
            {
                unit = ByteUnit(units);
                if (unit is null)
                    v.Add($"§9.1: Disk '{id}' ovf:capacityAllocationUnits '{units}' is not a programmatic unit of bytes (DSP0004 C.1)");
            }
            string? capacityText = (string?)disk.Attribute(ns + "capacity");
            if (!long.TryParse(capacityText, NumberStyles.None, CultureInfo.InvariantCulture, out long capacity) || capacity <= 0)
                v.Add($"§9.1: Disk '{id}' ovf:capacity '{capacityText}' is not a positive integer");
            else if ((string?)disk.Attribute(ns + "populatedSize") is { } populatedText)
            {
                if (!long.TryParse(populatedText, NumberStyles.None, CultureInfo.InvariantCulture, out long populated))
                    v.Add($"§9.1: Disk '{id}' ovf:populatedSize '{populatedText}' is not a non-negative integer");
                else if (unit is long u && populated > SaturatingMultiply(capacity, u))
                    v.Add($"§9.1: Disk '{id}' ovf:populatedSize {populated} exceeds its capacity");
            }
        }

        // §9.2 NetworkSection
        var networks = new HashSet<string>(
            children.Where(e => e.Name == ns + "NetworkSection").SelectMany(s => s.Elements(ns + "Network"))
                .Select(n => (string?)n.Attribute(ns + "name") ?? ""), StringComparer.Ordinal);

        // §8.3 VirtualHardwareSection items
        foreach (var section in root.Descendants(ns + "VirtualHardwareSection"))
        {
            var items = section.Elements(ns + "Item").ToList();
            var instanceIds = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in items)
            {
                string? id = (string?)item.Element(rasd + "InstanceID");
                if (string.IsNullOrEmpty(id))
                    v.Add("§8.3: an Item has no rasd:InstanceID");
                else if (!instanceIds.Add(id))
                    v.Add($"§8.3: rasd:InstanceID '{id}' is not unique in its VirtualHardwareSection");
            }
            foreach (var item in items)
            {
                string id = (string?)item.Element(rasd + "InstanceID") ?? "?";
                if (item.Element(rasd + "ElementName") is null)
                    v.Add($"§8.3: Item {id} has no rasd:ElementName");
                string? typeText = (string?)item.Element(rasd + "ResourceType");
                if (!int.TryParse(typeText, NumberStyles.None, CultureInfo.InvariantCulture, out int type))
                    v.Add($"§8.3: Item {id} rasd:ResourceType '{typeText}' is not a CIM ResourceType value");
                var names = item.Elements().Where(e => e.Name.Namespace == rasd).Select(e => e.Name.LocalName).ToList();
                for (int i = 1; i < names.Count; i++)
                {
                    if (string.CompareOrdinal(names[i - 1], names[i]) >= 0)
                    {
                        v.Add($"§8.3: Item {id} has rasd:{names[i]} after rasd:{names[i - 1]}, out of the RASD schema's order");
                        break;
                    }
                }
                if ((string?)item.Element(rasd + "Parent") is { } parent && !instanceIds.Contains(parent))
                    v.Add($"§8.3: Item {id} rasd:Parent '{parent}' names no Item of its section");
                foreach (var host in item.Elements(rasd + "HostResource").Select(h => h.Value))
                {
                    if (host.StartsWith("ovf:/disk/", StringComparison.Ordinal) && !diskIds.Contains(host["ovf:/disk/".Length..]))
                        v.Add($"§8.3: Item {id} rasd:HostResource '{host}' names no Disk");
                    else if (host.StartsWith("ovf:/file/", StringComparison.Ordinal) && !fileIds.Contains(host["ovf:/file/".Length..]))
                        v.Add($"§8.3: Item {id} rasd:HostResource '{host}' names no File");
                }
                foreach (var connection in item.Elements(rasd + "Connection").Select(c => c.Value))
                {
                    if (!networks.Contains(connection))
                        v.Add($"§9.2: Item {id} rasd:Connection '{connection}' names no Network of the NetworkSection");
                }
                if (type is 3 or 4)
                {
                    string? units = (string?)item.Element(rasd + "AllocationUnits");
                    bool unitsOk = units is not null && (type == 3 ? HertzUnit().IsMatch(units) : ByteUnit(units) is not null);
                    if (!unitsOk)
                        v.Add($"§8.3: Item {id} rasd:AllocationUnits '{units}' is not a programmatic unit of {(type == 3 ? "hertz" : "bytes")} (DSP0004 C.1)");
                    string? quantity = (string?)item.Element(rasd + "VirtualQuantity");
                    if (!long.TryParse(quantity, NumberStyles.None, CultureInfo.InvariantCulture, out long q) || q <= 0)
                        v.Add($"§8.3: Item {id} rasd:VirtualQuantity '{quantity}' is not a positive integer");
                }
            }
        }

        // §9.9 OperatingSystemSection
        foreach (var os in root.Descendants(ns + "OperatingSystemSection"))
        {
            string? id = (string?)os.Attribute(ns + "id");
            if (!IsNonNegativeInteger(id))
                v.Add($"§9.9: OperatingSystemSection ovf:id '{id}' is not a CIM_OperatingSystem OsType value");
        }
        return v;
    }

    /// <summary>
    /// The violations of DSP0243 §5.3 by the member order <paramref name="members"/> of an OVA whose descriptor is
    /// <paramref name="descriptor"/>: NAME.ovf first, then NAME.mf and NAME.cert if present, then the files of
    /// References in their order, and nothing else.
    /// </summary>
    public static IReadOnlyList<string> CheckArchiveOrder(XDocument descriptor, IReadOnlyList<string> members)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(members);
        var v = new List<string>();
        if (members.Count == 0 || !members[0].EndsWith(".ovf", StringComparison.OrdinalIgnoreCase))
        {
            v.Add($"§5.3: the first member is '{(members.Count == 0 ? "none" : members[0])}', not the OVF descriptor");
            return v;
        }
        string stem = members[0][..^4];
        var expected = new List<string> { members[0] };
        if (members.Contains(stem + ".mf"))
            expected.Add(stem + ".mf");
        if (members.Contains(stem + ".cert"))
            expected.Add(stem + ".cert");
        XNamespace ns = descriptor.Root?.Name.Namespace ?? XNamespace.None;
        expected.AddRange((descriptor.Root?.Element(ns + "References")?.Elements(ns + "File") ?? [])
            .Select(f => (string?)f.Attribute(ns + "href") ?? ""));
        if (!expected.SequenceEqual(members, StringComparer.Ordinal))
            v.Add($"§5.3: the members are [{string.Join(", ", members)}], not [{string.Join(", ", expected)}] (descriptor, manifest, certificate, then References order)");
        return v;
    }

    /// <summary>The multiplier of a DSP0004 programmatic unit of bytes ("byte", "byte * 2^20", "byte * 10^9"), or null.</summary>
    internal static long? ByteUnit(string units)
    {
        var m = ByteUnitPattern().Match(units);
        if (!m.Success)
            return null;
        if (!m.Groups["base"].Success)
            return 1;
        int b = int.Parse(m.Groups["base"].Value, CultureInfo.InvariantCulture);
        int e = int.Parse(m.Groups["exp"].Value, CultureInfo.InvariantCulture);
        long r = 1;
        for (int i = 0; i < e; i++)
        {
            if (r > long.MaxValue / b)
                return null;
            r *= b;
        }
        return r;
    }

    private static long SaturatingMultiply(long a, long b) => a > long.MaxValue / b ? long.MaxValue : a * b;

    private static bool IsNonNegativeInteger(string? s) =>
        long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out _);

    private static bool IsRelativePackagePath(string href) =>
        !href.Contains(':', StringComparison.Ordinal) && !href.StartsWith('/') && !href.Contains('\\', StringComparison.Ordinal) &&
        href.Split('/').All(s => s.Length > 0 && s is not ("." or ".."));

    [GeneratedRegex(@"^\s*byte\s*(\*\s*(?<base>2|10)\s*\^\s*(?<exp>[0-9]{1,2})\s*)?$")]
    private static partial Regex ByteUnitPattern();

    [GeneratedRegex(@"^\s*hertz\s*(\*\s*10\s*\^\s*[0-9]{1,2}\s*)?$")]
    private static partial Regex HertzUnit();
}
