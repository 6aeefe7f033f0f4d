using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Tests;

[TestClass]
public sealed class SizeParserTests
{
    [TestMethod]
    [DataRow("1", 1L)]
    [DataRow("1b", 1L)]
    [DataRow("1k", 1024L)]
    [DataRow("1M", 1048576L)]
    [DataRow("1.5G", 1610612736L)]
    [DataRow("0.5k", 512L)]
    [DataRow("1.3k", 1331L)]
    [DataRow("1.0000000001k", 1024L)]
    [DataRow("0x1000", 4096L)]
    [DataRow(" 1M", 1048576L)]
    [DataRow("1e", 1152921504606846976L)]
    [DataRow("7E", 8070450532247928832L)]
    [DataRow("9223372036854775807", 9223372036854775807L)]
    [DataRow("0", 0L)]
    public void AcceptsWhatQemuAccepts(string input, long expected)
    {
        Assert.IsTrue(SizeParser.TryParse(input, out long v), input);
        Assert.AreEqual(expected, v, input);
    }

    [TestMethod]
    [DataRow("1M,")]
    [DataRow("1KB")]
    [DataRow("1Ki")]
    [DataRow("1e3")]
    [DataRow("1.5")]
    [DataRow("")]
    [DataRow("8E")]
    [DataRow("9223372036854775808")]
    [DataRow("-1")]
    [DataRow("0x1.5k")]
    public void RejectsWhatQemuRejects(string input)
    {
        Assert.IsFalse(SizeParser.TryParse(input, out _), input);
    }

    [TestMethod]
    public void HexWithSuffixIsFlaggedDeprecated()
    {
        Assert.IsTrue(SizeParser.TryParse("0x10k", out long v, out bool deprecated));
        Assert.AreEqual(16384L, v);
        Assert.IsTrue(deprecated);
    }
}
