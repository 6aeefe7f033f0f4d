using System.Text.RegularExpressions;
using ImageBuild.Filesystems.Iso9660;

namespace ImageBuild.Filesystems.Tests.Iso9660;

[TestClass]
public sealed partial class IsoNameTests
{
    [GeneratedRegex(@"^[A-Z0-9_]{1,30}\.[A-Z0-9_]{0,8};1$")]
    private static partial Regex FileId();

    [TestMethod]
    public void PrimaryIdentifiersAreDCharactersUniqueAndShort()
    {
        var names = Enumerable.Range(0, 300).Select(i => ($"file-with-a-longish-Name-{i:D5}.txt", false))
            .Append(("file-with-a-longish-Name-00000", true)).Append((".hidden", false)).Append(("ünï.çødé", false)).ToList();
        var ids = PrimaryNames.Assign(names);
        Assert.AreEqual(names.Count, ids.Distinct(StringComparer.Ordinal).Count());
        for (int i = 0; i < names.Count; i++)
        {
            if (names[i].Item2) Assert.IsTrue(ids[i].Length <= 31 && !ids[i].Contains('.'), ids[i]);
            else
            {
                Assert.IsTrue(FileId().IsMatch(ids[i]), ids[i]);
                Assert.IsTrue(ids[i].Length - 3 <= 30, ids[i]);
            }
        }
        Assert.AreEqual("_HIDDEN.;1", ids[^2]);
        Assert.AreEqual("_N_.__D_;1", ids[^1]);
    }

    [TestMethod]
    public void PrimaryOrderComparesNameThenExtension()
    {
        var ids = new List<string> { "A_B.C;1", "A.Z;1", "AB.A;1", "A.;1" };
        ids.Sort(PrimaryNames.Compare);
        CollectionAssert.AreEqual(new[] { "A.;1", "A.Z;1", "AB.A;1", "A_B.C;1" }, ids);
    }

    [TestMethod]
    public void JolietNamesAreTruncatedTo64AndKeptUnique()
    {
        string stem = new('n', 70);
        var ids = JolietNames.Assign([stem + "1", stem + "2", "a:b?c", "x" + new string('y', 62) + "\U0001F600"]);
        Assert.AreEqual(64, ids[0].Length);
        Assert.AreEqual(64, ids[1].Length);
        Assert.AreNotEqual(ids[0], ids[1]);
        Assert.AreEqual("a_b_c", ids[2]);
        Assert.AreEqual(63, ids[3].Length, "a surrogate pair is never split");
    }
}
