using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Qed;

/// <summary>
/// Runs one command line with qemu-img and with the tool under test, each in its own copy of the same files (so
/// that commands that change images can be compared by the bytes they leave), and compares exit code, stdout and
/// stderr. Images are named relative to the working directory, so outputs naming them are equal too.
/// </summary>
internal sealed class QedOracleFixture : IDisposable
{
    private readonly TempDir _tmp = new();

    public QedOracleFixture()
    {
        Directory.CreateDirectory(Setup);
    }

    /// <summary>Where fixtures are built (with qemu-img and qemu-io) before each run copies them.</summary>
    public string Setup => _tmp["setup"];

    public string this[string name] => Path.Combine(Setup, name);

    public void Dispose() => _tmp.Dispose();

    public void Qemu(params string[] args) => ToolUnderTest.QemuOk(Setup, args);

    public void Io(string image, params string[] commands) => ToolUnderTest.QemuIo(Setup, "qed", image, commands);

    public void Poke(string image, long offset, ulong value, int width = 8)
    {
        using var fs = new FileStream(this[image], FileMode.Open, FileAccess.Write);
        fs.Position = offset;
        fs.Write(BitConverter.GetBytes(value), 0, width);
    }

    /// <summary>
    /// Copies the setup directory twice, runs qemu-img in one copy and the tool in the other, asserts the same
    /// outcome (JSON compared as data first) and, for each of <paramref name="compareFiles"/>, the same bytes
    /// (or both absent).
    /// </summary>
    public (string QemuDir, string ToolDir) Same(string[] compareFiles, params string[] args)
    {
        string run = _tmp[$"run-{Guid.NewGuid():N}"];
        string q = Path.Combine(run, "qemu"), t = Path.Combine(run, "tool");
        Copy(Setup, q);
        Copy(Setup, t);
        var expected = ToolUnderTest.Qemu(q, args);
        var actual = ToolUnderTest.Run(t, args);
        OracleAssert.NoCrash(actual);
        if (args.Contains("--output=json") && expected.ExitCode is 0 or 2 or 3 && expected.StdOut.Length > 0)
            OracleAssert.JsonDataEqual(expected.StdOut, actual.StdOut, string.Join(' ', args));
        OracleAssert.SameOutcome(expected, actual);
        foreach (string f in compareFiles)
            AssertSameFile(Path.Combine(q, f), Path.Combine(t, f), string.Join(' ', args));
        return (q, t);
    }

    public (string QemuDir, string ToolDir) Same(params string[] args) => Same([], args);

    public static void AssertSameFile(string expected, string actual, string what)
    {
        Assert.AreEqual(File.Exists(expected), File.Exists(actual), $"{what}: {Path.GetFileName(expected)} exists");
        if (!File.Exists(expected)) return;
        using var e = File.OpenRead(expected);
        using var a = File.OpenRead(actual);
        Assert.AreEqual(e.Length, a.Length, $"{what}: length of {Path.GetFileName(expected)}");
        var be = new byte[1 << 20];
        var ba = new byte[1 << 20];
        for (long pos = 0; pos < e.Length;)
        {
            int n = (int)Math.Min(be.Length, e.Length - pos);
            e.ReadExactly(be, 0, n);
            a.ReadExactly(ba, 0, n);
            int i = be.AsSpan(0, n).CommonPrefixLength(ba.AsSpan(0, n));
            if (i < n)
                Assert.Fail($"{what}: {Path.GetFileName(expected)} differs at byte {pos + i}: qemu {be[i]:x2}, ours {ba[i]:x2}");
            pos += n;
        }
    }

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string f in Directory.GetFiles(from))
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }
}
