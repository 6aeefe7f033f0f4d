using ImageBuild.Tests.Shared;

namespace ImageBuild.Filesystems.Tests.Fat;

/// <summary>The Debian tools that judge our volumes: dosfstools' fsck.vfat and mtools' mdir, mcopy, minfo.</summary>
internal static class FatOracle
{
    /// <summary>fsck.vfat -n: fails the test unless it exits 0 and reports nothing to fix.</summary>
    public static void AssertClean(string image, string workdir)
    {
        var r = ExternalTools.RunOk("fsck.vfat", workdir, "-n", "-v", image);
        string all = r.StdOut + r.StdErr;
        foreach (string bad in new[] { "differ", "Wrong", "orphan", "Bad ", "Duplicate", "summary wrong", "invalid", "Perform changes" })
            Assert.IsFalse(all.Contains(bad, StringComparison.OrdinalIgnoreCase), $"fsck.vfat reports '{bad}':\n{all}");
    }

    /// <summary>Whether fsck.vfat -n accepts the image (exit 0).</summary>
    public static bool FsckAccepts(string image, string workdir) =>
        QemuOracle.Run(ExternalTools.Find("fsck.vfat"), ["-n", image], workdir).ExitCode == 0;

    public static string Mdir(string image, string workdir, string dir = "::") =>
        ExternalTools.RunOk("mdir", workdir, "-i", image, "-/", "-a", dir).StdOut;

    public static string Minfo(string image, string workdir) => ExternalTools.RunOk("minfo", workdir, "-i", image, "::").StdOut;

    /// <summary>mcopy -s of the whole volume into <paramref name="outDir"/>; then every expected file must be there byte for byte, and nothing else.</summary>
    public static void AssertContent(string image, string workdir, string outDir, IReadOnlyDictionary<string, byte[]> expected)
    {
        Directory.CreateDirectory(outDir);
        ExternalTools.RunOk("mcopy", workdir, "-i", image, "-s", "-n", "-m", "::", outDir);
        // mcopy puts the root's content straight into outDir
        var got = Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(outDir, p).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();
        CollectionAssert.AreEquivalent(expected.Keys.ToList(), got, "files read back by mcopy: " + string.Join(", ", got));
        foreach (var (rel, content) in expected)
            CollectionAssert.AreEqual(content, File.ReadAllBytes(Path.Combine(outDir, rel)), $"content of {rel}");
    }

    public static string Md5(string path) => QemuOracle.Md5OfFile(path);
}
