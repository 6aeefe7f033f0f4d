using ImageBuild.Cli.CommandLine;

namespace ImageBuild.Cli.Tests.Unit;

[TestClass]
public sealed class ObjectOptionTests
{
    // Messages captured from qemu-img 7.2 (info --object X r.raw).
    [TestMethod]
    [DataRow("json", "Parameter 'qom-type' does not accept value 'json'")]
    [DataRow("", "Parameter 'qom-type' is missing")]
    [DataRow("id=x", "Parameter 'qom-type' is missing")]
    [DataRow("secret", "Parameter 'id' is missing")]
    [DataRow("secret,bogus=1", "Parameter 'id' is missing")]
    [DataRow("secret,id=s", "Either 'file' or 'data' must be provided")]
    [DataRow("secret,id=1s,data=x", "Parameter 'id' expects an identifier\nIdentifiers consist of letters, digits, '-', '.', '_', starting with a letter.")]
    [DataRow("secret,id=s,data=x,bogus=1", "Parameter 'bogus' is unexpected")]
    [DataRow("secret,id=s,data=x,format=hex", "Parameter 'format' does not accept value 'hex'")]
    [DataRow("secret,id=s,file=/nonexistent-imagebuild", "Unable to read /nonexistent-imagebuild: Failed to open file \u201C/nonexistent-imagebuild\u201D: No such file or directory")]
    [DataRow("secret,id=s,data=x", null)]
    [DataRow("qom-type=secret,id=s,data=x,format=base64", null)]
    [DataRow("tls-creds-anon,id=t", null)]
    public void Messages(string definition, string? expected) => Assert.AreEqual(expected, new ObjectOption().Check(definition));

    [TestMethod]
    public void DuplicateIdsAreRejected()
    {
        var objects = new ObjectOption();
        Assert.IsNull(objects.Check("secret,id=s,data=x"));
        Assert.AreEqual("attempt to add duplicate property 's' to object (type 'container')", objects.Check("secret,id=s,data=y"));
    }

    [TestMethod]
    public void CommandsExitWithTheirOwnCode()
    {
        var o = new StringWriter();
        var e = new StringWriter();
        Assert.AreEqual(1, Program.Run(["info", "--object", "json", "x"], o, e));
        Assert.AreEqual("imagebuild: Parameter 'qom-type' does not accept value 'json'\n", e.ToString());
        Assert.AreEqual(2, Program.Run(["compare", "--object", "json", "x", "y"], new StringWriter(), new StringWriter()));
    }
}
