using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Vmdk.Spec;

/// <summary>
/// Every real VMDK in ../shared/images that qemu-img opens (verdict ok in expected.tsv) against the spec's rules: made by
/// VMware, VirtualBox, FreeBSD's mkimg and qemu. Each rule a real image breaks is listed here with why.
/// </summary>
[TestClass]
public sealed class RealImageSpecTests
{
    /// <summary>The rules real images break, per image, with the reason that is acceptable.</summary>
    public static readonly IReadOnlyDictionary<string, (string[] Rules, string Why)> Exceptions =
        new Dictionary<string, (string[], string)>
        {
            ["freebsd-mkimg/img-1x1-512-gpt.vmdk"] = ([VmdkRules.GdOrder.Id, VmdkRules.ExtentGrammar.Id, VmdkRules.HwVersion.Id, VmdkRules.Geometry.Id],
                "FreeBSD mkimg writes a minimal descriptor: an empty extent file name (the extent is the file itself), no ddb.virtualHWVersion, "
                + "a 10240/1/1 geometry, and puts the grain directory (sector 2) before the redundant one (sector 11); qemu and VirtualBox read it"),
            ["sleuthkit/image.vmdk"] = ([VmdkRules.CapacityGrains.Id],
                "a 100 KiB disk (200 sectors) in a 128-sector grain; its descriptor is qemu-img's template of older versions "
                + "(virtualHWVersion 4, no ddb.toolsVersion) and qemu does not round the capacity to a grain"),
            ["mdx1/64KiB.vmdk"] = ([VmdkRules.Overhead.Id, VmdkRules.Geometry.Id],
                "a VMware-tool stream (ddb.toolsInstallType, longContentID): overHead 26 is not a multiple of its 128-sector grain, and "
                + "its SCSI geometry is 255/63 at 64 KiB, so VMware itself does not apply the spec's small-disk SCSI heads/sectors"),
            ["mdx1/1GiB.vmdk"] = ([VmdkRules.Geometry.Id, VmdkRules.EndOfStream.Id], QemuStream),
            ["mdx1/1mib.vmdk"] = ([VmdkRules.Geometry.Id, VmdkRules.EndOfStream.Id], QemuStream),
        };

    private const string QemuStream = "made by qemu-img (flags 0x30003, GD in the header): qemu writes no end-of-stream marker, "
        + "and writes 255 heads / 63 sectors for every non-ide adapter where the spec gives 64/32 or 128/32 below 2 GiB";

    public static IEnumerable<string> OkVmdks(string shared) =>
        File.ReadLines(Path.Combine(shared, "expected.tsv"))
            .Where(l => !l.StartsWith('#'))
            .Select(l => l.Split('\t'))
            .Where(c => c.Length >= 5 && c[1] == "vmdk" && c[4] == "ok")
            .Select(c => c[0]);

    [TestMethod]
    [RequiresSharedImages]
    public void EveryRealImageQemuAcceptsKeepsTheSpecOrIsAListedException()
    {
        string shared = QemuOracle.SharedImages ?? throw new AssertFailedException("../shared/images is missing");
        var images = OkVmdks(shared).ToList();
        Assert.IsTrue(images.Count >= 10, $"expected.tsv lists {images.Count} good VMDKs");
        var problems = new List<string>();
        foreach (string image in images)
        {
            var broken = VmdkSpecChecker.Check(Path.Combine(shared, image));
            var ids = broken.Select(v => v.Rule.Id).Distinct().Order(StringComparer.Ordinal).ToArray();
            var expected = Exceptions.TryGetValue(image, out var ex) ? ex.Rules.Order(StringComparer.Ordinal).ToArray() : [];
            if (!ids.SequenceEqual(expected))
                problems.Add($"{image}: breaks [{string.Join(", ", ids)}], listed [{string.Join(", ", expected)}]\n    "
                    + string.Join("\n    ", broken));
        }
        Assert.AreEqual(0, problems.Count, string.Join("\n", problems));
    }
}
