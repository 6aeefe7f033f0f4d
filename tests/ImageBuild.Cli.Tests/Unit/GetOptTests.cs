using ImageBuild.Cli.CommandLine;

namespace ImageBuild.Cli.Tests.Unit;

[TestClass]
public sealed class GetOptTests
{
    private static readonly LongOption[] Longs =
    [
        new("help", ArgKind.None, 'h'),
        new("format", ArgKind.Required, 'f'),
        new("output", ArgKind.Required, 300),
        new("object", ArgKind.Required, 301),
        new("backing-chain", ArgKind.None, 302),
    ];

    /// <summary>Runs the parser to the end; returns "c[=arg]" events and the operands.</summary>
    private static (List<string> Events, IReadOnlyList<string> Operands, GetOpt G) Parse(string optstring, params string[] args)
    {
        var g = new GetOpt(["cmd", .. args], optstring, Longs);
        var events = new List<string>();
        for (int c; (c = g.Next()) != GetOpt.End;)
        {
            string name = c < 256 ? ((char)c).ToString() : c.ToString(System.Globalization.CultureInfo.InvariantCulture);
            events.Add(g.Optarg is null ? name : $"{name}={g.Optarg}");
            if (c is '?' or ':')
                events.Add("@" + g.PreviousWord);
        }
        return (events, g.Operands, g);
    }

    [TestMethod]
    public void BundledShortOptionsAndAttachedArgument()
    {
        var (ev, ops, _) = Parse(":f:hUq", "-qU", "-fraw", "-f", "qcow2", "img");
        CollectionAssert.AreEqual(new[] { "q", "U", "f=raw", "f=qcow2" }, ev);
        CollectionAssert.AreEqual(new[] { "img" }, ops.ToArray());
    }

    [TestMethod]
    public void BundleEndingInOptionWithArgumentTakesNextWord()
    {
        var (ev, ops, _) = Parse(":f:q", "-qf", "raw", "img");
        CollectionAssert.AreEqual(new[] { "q", "f=raw" }, ev);
        CollectionAssert.AreEqual(new[] { "img" }, ops.ToArray());
    }

    [TestMethod]
    public void LongOptionsWithEqualsOrSeparateArgumentAndAbbreviation()
    {
        var (ev, _, _) = Parse(":f:", "--output=json", "--output", "human", "--back", "--form", "raw", "x");
        CollectionAssert.AreEqual(new[] { "300=json", "300=human", "302", "f=raw" }, ev);
    }

    [TestMethod]
    public void AmbiguousAbbreviationIsUnknown()
    {
        var (ev, _, _) = Parse(":f:", "--o", "x");
        CollectionAssert.AreEqual(new[] { "?", "@--o" }, ev);
    }

    [TestMethod]
    public void ArgumentToFlagLongOptionIsUnknown()
    {
        var (ev, _, _) = Parse(":f:", "--backing-chain=1", "x");
        CollectionAssert.AreEqual(new[] { "?", "@--backing-chain=1" }, ev);
    }

    [TestMethod]
    public void OperandsArePermutedBehindOptions()
    {
        var (ev, ops, g) = Parse(":f:U", "a", "-U", "b", "-f", "raw", "c");
        CollectionAssert.AreEqual(new[] { "U", "f=raw" }, ev);
        CollectionAssert.AreEqual(new[] { "a", "b", "c" }, ops.ToArray());
        CollectionAssert.AreEqual(new[] { "cmd", "-U", "-f", "raw", "a", "b", "c" }, g.Argv);
    }

    [TestMethod]
    public void DoubleDashEndsOptions()
    {
        var (ev, ops, _) = Parse(":f:U", "-U", "--", "-f", "x");
        CollectionAssert.AreEqual(new[] { "U" }, ev);
        CollectionAssert.AreEqual(new[] { "-f", "x" }, ops.ToArray());
    }

    [TestMethod]
    public void LoneDashIsAnOperand()
    {
        var (_, ops, _) = Parse(":U", "-", "-U");
        CollectionAssert.AreEqual(new[] { "-" }, ops.ToArray());
    }

    [TestMethod]
    public void PlusPrefixStopsAtFirstOperand()
    {
        var (ev, ops, _) = Parse("+:hVT:", "-T", "x", "info", "-f", "raw");
        CollectionAssert.AreEqual(new[] { "T=x" }, ev);
        CollectionAssert.AreEqual(new[] { "info", "-f", "raw" }, ops.ToArray());
    }

    // qemu-img names argv[optind-1] in its messages; glibc only advances optind after the last letter of a bundle.
    [TestMethod]
    [DataRow(new[] { "-z", "a" }, "-z")]
    [DataRow(new[] { "-qz", "a" }, "cmd")]
    [DataRow(new[] { "-Uz", "a" }, "-Uz")]
    [DataRow(new[] { "a", "-qz" }, "a")]
    [DataRow(new[] { "--nope=1" }, "--nope=1")]
    public void UnknownOptionNamesTheWordQemuNames(string[] args, string expected)
    {
        var (ev, _, _) = Parse(":f:U", args);
        int i = ev.IndexOf("?");
        Assert.IsTrue(i >= 0, string.Join(",", ev));
        Assert.AreEqual("@" + expected, ev[i + 1]);
    }

    [TestMethod]
    public void MissingArgumentReturnsColon()
    {
        var (ev, _, _) = Parse(":f:", "x", "-f");
        CollectionAssert.AreEqual(new[] { ":", "@-f" }, ev);
        var (ev2, _, _) = Parse(":f:", "--format");
        CollectionAssert.AreEqual(new[] { ":", "@--format" }, ev2);
    }
}
