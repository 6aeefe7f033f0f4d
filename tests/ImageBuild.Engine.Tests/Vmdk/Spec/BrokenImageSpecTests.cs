using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Vmdk.Spec;

/// <summary>Each rule shown to fire: a clean image, one patched byte range, and the rule among those the checker reports.</summary>
[TestClass]
public sealed class BrokenImageSpecTests
{
    public static IEnumerable<object[]> Cases => BrokenImage.All.Select(b => new object[] { b.Name });

    [TestMethod]
    [RequiresQemu]
    [RequiresSharedImages]
    [DataRow(BrokenBase.Sparse)]
    [DataRow(BrokenBase.Flat)]
    [DataRow(BrokenBase.Split)]
    [DataRow(BrokenBase.Stream)]
    public void EveryBaseIsClean(BrokenBase kind)
    {
        using var tmp = new TempDir();
        string path = BrokenImage.MakeBase(kind, tmp.Path);
        var broken = VmdkSpecChecker.Check(path);
        Assert.AreEqual(0, broken.Count, string.Join("\n", broken));
    }

    [TestMethod]
    [RequiresQemu]
    [RequiresSharedImages]
    [DynamicData(nameof(Cases))]
    public void ThePatchedRuleFires(string name)
    {
        var b = BrokenImage.Named(name);
        using var tmp = new TempDir();
        string path = BrokenImage.MakeBase(b.Base, tmp.Path);
        b.Patch(path);
        var broken = VmdkSpecChecker.Check(path);
        Assert.IsTrue(broken.Any(v => v.Rule == b.Rule), $"{name}: expected {b.Rule.Id}, got:\n  " + string.Join("\n  ", broken));
    }

    [TestMethod]
    public void EveryRuleHasABrokenImage()
    {
        var shown = BrokenImage.All.Select(b => b.Rule).ToHashSet();
        var missing = VmdkRules.All.Where(r => !shown.Contains(r)).Select(r => r.Id).ToList();
        Assert.AreEqual(0, missing.Count, "rules no broken image fires: " + string.Join(", ", missing));
        Assert.AreEqual(VmdkRules.All.Count, VmdkRules.All.Select(r => r.Id).Distinct().Count(), "rule ids are unique");
    }
}
