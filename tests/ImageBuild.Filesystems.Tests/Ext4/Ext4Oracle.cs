using System.Globalization;
using System.Text.RegularExpressions;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Filesystems.Tests.Ext4;

/// <summary>
/// e2fsprogs as the judge of our filesystems: e2fsck -fn, debugfs stat and rdump. A missing tool fails the test
/// (CI installs e2fsprogs); Debian puts them in /sbin, which a user's PATH may lack.
/// </summary>
internal static partial class Ext4Oracle
{
    public static string Find(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin"]))
        {
            string p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        throw new AssertFailedException($"{name} is not installed (.ci/run installs it: apt-get install -y e2fsprogs)");
    }

    /// <summary>e2fsck -fn on the image (or "image?offset=N"): fails the test unless it exits 0.</summary>
    public static void AssertClean(string image)
    {
        var r = QemuOracle.Run(Find("e2fsck"), ["-fn", image]);
        Assert.AreEqual(0, r.ExitCode, $"e2fsck -fn {image}:\n{r.StdOut}{r.StdErr}");
    }

    public static string Debugfs(string image, string request)
    {
        var r = QemuOracle.Run(Find("debugfs"), ["-R", request, image]);
        Assert.AreEqual(0, r.ExitCode, $"debugfs -R '{request}' {image}: {r.StdErr}");
        return r.StdOut;
    }

    /// <summary>What debugfs stat shows of one inode.</summary>
    public sealed record Stat(int Inode, string Type, int Mode, long Uid, long Gid, long Size, int Links, Dictionary<string, (long Seconds, uint Extra)> Times);

    public static Stat StatOf(string image, string path)
    {
        string s = Debugfs(image, $"stat \"{path}\"");
        var head = StatHead().Match(s);
        Assert.IsTrue(head.Success, $"debugfs stat {path}:\n{s}");
        var owner = StatOwner().Match(s);
        var times = new Dictionary<string, (long, uint)>();
        foreach (Match m in StatTime().Matches(s))
            times[m.Groups[1].Value] = (long.Parse(m.Groups[2].Value, NumberStyles.HexNumber), uint.Parse(m.Groups[3].Value, NumberStyles.HexNumber));
        return new Stat(int.Parse(head.Groups[1].Value), head.Groups[2].Value, Convert.ToInt32(head.Groups[3].Value, 8),
            long.Parse(owner.Groups[1].Value), long.Parse(owner.Groups[2].Value), long.Parse(owner.Groups[3].Value),
            int.Parse(StatLinks().Match(s).Groups[1].Value), times);
    }

    /// <summary>debugfs rdump of the root's entries into <paramref name="into"/> (content and symlinks as the filesystem holds them).</summary>
    public static void RdumpRoot(string image, string into)
    {
        Directory.CreateDirectory(into);
        foreach (var line in Debugfs(image, "ls -p /").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split('/');
            if (parts.Length < 7 || parts[5] is "." or ".." or "") continue;
            Debugfs(image, $"rdump \"/{parts[5]}\" \"{into}\"");
        }
    }

    /// <summary>The 0xEF53 magic at byte offset+1024+56?</summary>
    public static bool HasSuperblock(string file, long offset)
    {
        using var f = File.OpenRead(file);
        if (f.Length < offset + 1024 + 58) return false;
        var magic = new byte[2];
        f.Position = offset + 1024 + 56;
        f.ReadExactly(magic);
        return magic[0] == 0x53 && magic[1] == 0xEF;
    }

    [GeneratedRegex(@"Inode: (\d+)\s+Type: (\S+)\s+Mode:\s+(\d+)")]
    private static partial Regex StatHead();

    [GeneratedRegex(@"User:\s+(\d+)\s+Group:\s+(\d+).*?Size: (\d+)")]
    private static partial Regex StatOwner();

    [GeneratedRegex(@"Links: (\d+)")]
    private static partial Regex StatLinks();

    [GeneratedRegex(@"^\s*(ctime|atime|mtime|crtime): 0x([0-9a-f]+):([0-9a-f]+)", RegexOptions.Multiline)]
    private static partial Regex StatTime();
}
