namespace ImageBuild.Cli.Tests.Unit;

/// <summary>Random command lines never crash imagebuild: every failure is one of qemu-img's messages, never an internal error.</summary>
[TestClass]
public sealed class RobustnessTests
{
    private static readonly string[] Verbs = ["info", "map", "measure", "check", "create", "compare", "convert", "nope", "-h", "-V", "-T"];

    private static readonly string[] Words =
    [
        "-f", "raw", "qcow2", "bogus", "-O", "-o", "size=1k", "help", ",", "x,", "-F", "-b", "-B", "-q", "-p", "-U", "-s", "-n",
        "-S", "0", "513", "4k", "-m", "0", "3", "-r", "leaks", "all", "-T", "none", "--output", "json", "human", "xml",
        "--output=json", "--backing-chain", "--start-offset", "1M", "--max-length", "-1", "--size", "1G", "8E", "0x10k", "-l",
        "snap", "--image-opts", "--object", "secret,id=s", "--target-is-zero", "--salvage", "--bitmaps", "-c", "-C", "-W", "--",
        "-", "--o", "--foo", "-qz", "IMG", "IMG2", "MISSING", "OUT",
    ];

    [TestMethod]
    public void RandomArgumentVectorsFailCleanly()
    {
        string dir = Path.Combine(Path.GetTempPath(), "imagebuild-fuzz-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string img = Path.Combine(dir, "a.raw"), img2 = Path.Combine(dir, "b.raw");
            Assert.AreEqual(0, Program.Run(["create", "-q", img, "64k"], new StringWriter(), new StringWriter()));
            Assert.AreEqual(0, Program.Run(["create", "-q", img2, "128k"], new StringWriter(), new StringWriter()));
            var rng = new Random(12345);
            for (int i = 0; i < 400; i++)
            {
                var args = new List<string> { Verbs[rng.Next(Verbs.Length)] };
                int n = rng.Next(0, 7);
                for (int k = 0; k < n; k++)
                {
                    string w = Words[rng.Next(Words.Length)];
                    args.Add(w switch
                    {
                        "IMG" => img,
                        "IMG2" => img2,
                        "MISSING" => Path.Combine(dir, "missing"),
                        "OUT" => Path.Combine(dir, $"out{i}.img"),
                        _ => w,
                    });
                }
                var o = new StringWriter();
                var e = new StringWriter();
                int rc = Program.Run([.. args], o, e);
                string line = string.Join(' ', args);
                Assert.IsFalse(e.ToString().Contains("internal error", StringComparison.Ordinal), $"{line}\n{e}");
                Assert.IsTrue(rc is 0 or 1 or 2 or 3 or 63, $"{line} -> {rc}");
                if (rc != 0 && e.ToString().Length == 0)
                    Assert.IsTrue(args[0] == "compare" && rc == 1, $"{line} failed silently with {rc}");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Running out of memory, however the task library or a worker thread wraps it, is one of qemu's lines.</summary>
    [TestMethod]
    public void OutOfMemoryIsReportedAsENOMEMHoweverItIsWrapped()
    {
        var oom = new OutOfMemoryException();
        Assert.AreEqual("Cannot allocate memory", CommandLine.ResourceExhaustion.Describe(oom));
        Assert.AreEqual("Cannot allocate memory", CommandLine.ResourceExhaustion.Describe(
            new AggregateException(new TaskSchedulerException(new OutOfMemoryException()))));
        Assert.AreEqual("Could not load System.IO.Compression: Cannot allocate memory", CommandLine.ResourceExhaustion.Describe(
            new AggregateException(new FileNotFoundException("x", "System.IO.Compression, Version=10.0.0.0, Culture=neutral"))));
        Assert.IsNull(CommandLine.ResourceExhaustion.Describe(new Engine.ImageException("disk full", new IOException("No space left on device"))));
        Assert.IsNull(CommandLine.ResourceExhaustion.Describe(new FileNotFoundException("x", "missing.qcow2")));
    }
}
