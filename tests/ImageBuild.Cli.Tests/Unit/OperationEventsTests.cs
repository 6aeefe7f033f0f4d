using System.Text.Json;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Unit;

/// <summary>
/// imagebuild's --events FILE|- on convert, commit, rebase and compare (beyond qemu-img): JSON lines in the recipe
/// runner's event format, percentages rising to 100 on success, a fail event carrying the error on failure.
/// </summary>
[TestClass]
public sealed class OperationEventsTests
{
    private static (int Rc, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int rc = Program.Run(args, o, e);
        return (rc, o.ToString(), e.ToString());
    }

    private static List<JsonElement> Parse(string jsonLines) =>
        jsonLines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    private static string Type(JsonElement e) => e.GetProperty("event").GetString()!;

    /// <summary>start, progress rising strictly to 100, done, finish; every event names the verb as step and kind.</summary>
    private static void AssertSucceeded(List<JsonElement> events, string verb)
    {
        CollectionAssert.AreEqual(new[] { "start", "progress" }, events.Take(2).Select(Type).ToArray());
        CollectionAssert.AreEqual(new[] { "done", "finish" }, events.TakeLast(2).Select(Type).ToArray());
        var percents = events.Where(e => Type(e) == "progress").Select(e => e.GetProperty("percent").GetDouble()).ToList();
        for (int i = 1; i < percents.Count; i++) Assert.IsGreaterThan(percents[i - 1], percents[i], string.Join(",", percents));
        Assert.AreEqual(100, percents[^1]);
        foreach (var e in events.Where(e => Type(e) != "finish"))
        {
            Assert.AreEqual(verb, e.GetProperty("step").GetString());
            Assert.AreEqual(verb, e.GetProperty("kind").GetString());
        }
        Assert.AreEqual("ok", events[^1].GetProperty("message").GetString());
    }

    private static void WriteData(string path, int mib)
    {
        var data = new byte[mib << 20];
        new Random(14).NextBytes(data);
        File.WriteAllBytes(path, data);
    }

    [TestMethod]
    public void ConvertAndCompareToStdoutAreJsonLinesOnly()
    {
        using var dir = new TempDir();
        WriteData(dir["a.raw"], 8);
        var r = Run("convert", "--events", "-", "-p", "-O", "qcow2", dir["a.raw"], dir["a.qcow2"]);
        Assert.AreEqual(0, r.Rc, r.Err);
        Assert.AreEqual("", r.Err);
        AssertSucceeded(Parse(r.Out), "convert"); // -p's carriage-return lines are not mixed in

        r = Run("compare", "--events=-", dir["a.raw"], dir["a.qcow2"]);
        Assert.AreEqual(0, r.Rc, r.Err);
        var events = Parse(r.Out);
        AssertSucceeded(events, "compare");
        Assert.AreEqual("Images are identical.", events[^2].GetProperty("message").GetString());
    }

    [TestMethod]
    public void CommitAndRebaseWriteTheirEventsToAFileAndKeepTheirOwnOutput()
    {
        using var dir = new TempDir();
        WriteData(dir["base.raw"], 4);
        Assert.AreEqual(0, Run("create", "-q", "-f", "qcow2", "-b", dir["base.raw"], "-F", "raw", dir["top.qcow2"]).Rc);
        Assert.AreEqual(0, Run("convert", "-O", "raw", dir["base.raw"], dir["other.raw"]).Rc);

        var r = Run("rebase", "--events", dir["rebase.jsonl"], "-b", dir["other.raw"], "-F", "raw", dir["top.qcow2"]);
        Assert.AreEqual(0, r.Rc, r.Err);
        AssertSucceeded(Parse(File.ReadAllText(dir["rebase.jsonl"])), "rebase");

        r = Run("commit", "--events", dir["commit.jsonl"], dir["top.qcow2"]);
        Assert.AreEqual(0, r.Rc, r.Err);
        Assert.AreEqual("Image committed.\n", r.Out, "the command's own output is unchanged with a file");
        AssertSucceeded(Parse(File.ReadAllText(dir["commit.jsonl"])), "commit");
    }

    [TestMethod]
    public void AFailureEmitsAFailEventWithTheErrorAndKeepsTheMessageOnStderr()
    {
        using var dir = new TempDir();
        var r = Run("convert", "--events", "-", "-O", "qcow2", dir["missing.raw"], dir["out.qcow2"]);
        Assert.AreEqual(1, r.Rc);
        var events = Parse(r.Out);
        Assert.AreEqual("start", Type(events[0]));
        var fail = events.Single(e => Type(e) == "fail");
        StringAssert.Contains(fail.GetProperty("message").GetString(), "missing.raw");
        StringAssert.StartsWith(r.Err, "imagebuild: Could not open");
        Assert.AreEqual("FAILED", events[^1].GetProperty("message").GetString());
        Assert.IsFalse(events.Any(e => Type(e) == "done"));
    }

    [TestMethod]
    public void ImagesThatDifferAreAResultNotAFailure()
    {
        using var dir = new TempDir();
        WriteData(dir["a.raw"], 1);
        File.WriteAllBytes(dir["b.raw"], new byte[1 << 20]);
        var r = Run("compare", "--events", "-", dir["a.raw"], dir["b.raw"]);
        Assert.AreEqual(1, r.Rc, r.Err);
        var events = Parse(r.Out);
        Assert.AreEqual("done", Type(events[^2]));
        StringAssert.StartsWith(events[^2].GetProperty("message").GetString(), "Content mismatch at offset 0");
    }

    [TestMethod]
    public void TheOptionNeedsAValueAndOtherVerbsDoNotTakeIt()
    {
        var r = Run("convert", "--events");
        Assert.AreEqual(1, r.Rc);
        StringAssert.StartsWith(r.Err, "imagebuild: option '--events' requires an argument");
        r = Run("info", "--events", "-", "x.raw");
        Assert.AreEqual(1, r.Rc);
        StringAssert.StartsWith(r.Err, "imagebuild: unrecognized option '--events'");
    }
}
