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

    /// <summary>The checker reports, never throws: every header byte and every 251st byte of the file set to 0xff in turn.</summary>
    [TestMethod]
    [RequiresQemu]
    [RequiresSharedImages]
    [DataRow(BrokenBase.Sparse)]
    [DataRow(BrokenBase.Split)]
    [DataRow(BrokenBase.Stream)]
    public void CorruptBytesAreReportedNotThrown(BrokenBase kind)
    {
        using var tmp = new TempDir();
        string path = BrokenImage.MakeBase(kind, tmp.Path);
        string target = kind == BrokenBase.Split ? Path.Combine(tmp.Path, "out-s001.vmdk") : path;
        byte[] clean = File.ReadAllBytes(target);
        int reported = 0;
        var offsets = Enumerable.Range(0, 80).Concat(Enumerable.Range(0, clean.Length / 251).Select(i => i * 251)).Distinct();
        foreach (int at in offsets)
        {
            var bytes = (byte[])clean.Clone();
            if (bytes[at] == 0xff) continue;
            bytes[at] = 0xff;
            File.WriteAllBytes(target, bytes);
            if (VmdkSpecChecker.Check(path).Count > 0) reported++;
        }
        File.WriteAllBytes(target, clean);
        Assert.AreEqual(0, VmdkSpecChecker.Check(path).Count, "restored base is clean");
        Assert.IsTrue(reported > 20, $"only {reported} corruptions reported");
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
