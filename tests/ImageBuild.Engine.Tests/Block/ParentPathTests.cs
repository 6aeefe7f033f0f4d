using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Tests.Block;

[TestClass]
public sealed class ParentPathTests
{
    [TestMethod]
    [DataRow(@".\parent.vhd", "parent.vhd")]
    [DataRow(@".\sub\parent.vhd", "sub/parent.vhd")]
    [DataRow(@"..\base\parent.vhdx", "../base/parent.vhdx")]
    [DataRow("parent.vhd", "parent.vhd")]
    [DataRow("/srv/images/parent.vhd", "/srv/images/parent.vhd")]
    [DataRow("file://localhost/srv/my%20images/parent.vhd", "/srv/my images/parent.vhd")]
    [DataRow("file:///srv/parent.vhd", "/srv/parent.vhd")]
    [DataRow("parent.vhd\0\0", "parent.vhd")]
    public void StoredNamesBecomeHostPaths(string stored, string expected) =>
        Assert.AreEqual(expected, ParentPath.ToHostPath(stored));

    [TestMethod]
    [DataRow(@"C:\Hyper-V\parent.vhdx")]
    [DataRow(@"\\server\share\parent.vhd")]
    [DataRow("http://example.org/parent.vhd")]
    [DataRow("")]
    [DataRow(@".\")]
    public void NamesThatCannotBeOpenedHereAreNull(string stored)
    {
        if (OperatingSystem.IsWindows() && stored.Contains('\\'))
            return;
        Assert.IsNull(ParentPath.ToHostPath(stored));
    }

    [TestMethod]
    public void ChooseTakesTheFirstExistingNameAndOtherwiseTheFirstUsable()
    {
        string dir = Directory.CreateTempSubdirectory("parentpath-").FullName;
        try
        {
            string child = Path.Combine(dir, "child.vhd");
            File.WriteAllBytes(Path.Combine(dir, "second.vhd"), [1]);
            Assert.AreEqual("second.vhd", ParentPath.Choose(child, [@"C:\x\first.vhd", @".\missing.vhd", @".\second.vhd"]));
            Assert.AreEqual("missing.vhd", ParentPath.Choose(child, [@"C:\x\first.vhd", @".\missing.vhd", null]));
            Assert.IsNull(ParentPath.Choose(child, [@"C:\x\first.vhd", null]));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
