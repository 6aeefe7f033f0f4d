using ImageBuild.Cli.CommandLine;

namespace ImageBuild.Cli.Tests.Unit;

[TestClass]
public sealed class OptionListTests
{
    [TestMethod]
    [DataRow("size=1", true)]
    [DataRow("a,,", true)]
    [DataRow("", false)]
    [DataRow(",x", false)]
    [DataRow("x,", false)]
    [DataRow("x,,,", false)]
    public void ValidLists(string list, bool valid) => Assert.AreEqual(valid, OptionList.IsValid(list));

    [TestMethod]
    [DataRow("help", true)]
    [DataRow("size=1,?", true)]
    [DataRow("size=1,help", true)]
    [DataRow("backing_file=help", false)]
    [DataRow("x=a,,help", false)]
    public void HelpDetection(string list, bool help) => Assert.AreEqual(help, OptionList.HasHelp(list));

    [TestMethod]
    public void ParsesPairsFlagsAndEscapedCommas()
    {
        // A bare "nocow" is "cow=off" to qemu, exactly like "nofoo" is "foo=off".
        var pairs = OptionList.Parse("size=1M,backing_file=a,,b.img,lazy_refcounts,nocow,id=x");
        CollectionAssert.AreEqual(
            new[] { "size=1M", "backing_file=a,b.img", "lazy_refcounts=on", "cow=off" },
            pairs.Select(p => $"{p.Key}={p.Value}").ToArray());
    }

    [TestMethod]
    public void AccumulateJoinsWithCommaAndRejectsBadLists()
    {
        var io = new CliIO(new StringWriter(), new StringWriter());
        Assert.AreEqual("a=1,b=2", OptionList.Accumulate(io, OptionList.Accumulate(io, null, "a=1"), "b=2"));
        var err = new StringWriter();
        var bad = Assert.ThrowsExactly<CommandExitException>(() => OptionList.Accumulate(new CliIO(new StringWriter(), err), null, "x,"));
        Assert.AreEqual(1, bad.ExitCode);
        Assert.AreEqual("imagebuild: Invalid option list: x,\n", err.ToString());
    }

    [TestMethod]
    [DataRow("8", true, 8L)]
    [DataRow("0x10", true, 16L)]
    [DataRow("010", true, 8L)]
    [DataRow("8x", false, 0L)]
    [DataRow("", false, 0L)]
    public void CoroutineNumberParsing(string s, bool ok, long value)
    {
        Assert.AreEqual(ok, Commands.ConvertCommand.TryParseCLong(s, out long v));
        if (ok) Assert.AreEqual(value, v);
    }
}
