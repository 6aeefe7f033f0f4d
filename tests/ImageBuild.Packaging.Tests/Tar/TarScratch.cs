using ImageBuild.Tests.Shared;

namespace ImageBuild.Packaging.Tests.Tar;

/// <summary>A temporary folder for one test, deleted on dispose, and GNU tar run inside it.</summary>
internal sealed class TarScratch : IDisposable
{
    public const long Mtime = 1_700_000_000; // 2023-11-14 22:13:20 UTC

    public string Dir { get; } = Directory.CreateTempSubdirectory("ib-tar-").FullName;

    public string PathOf(string name) => Path.Combine(Dir, name);

    /// <summary>Runs GNU tar in the folder; fails the test unless it exits 0.</summary>
    public string Tar(params string[] args) => ExternalTools.RunOk("tar", Dir, args).StdOut;

    /// <summary>GNU tar creating an archive as the writer does: fixed owner, numeric, the test's mtime.</summary>
    public void GnuTarCreate(string format, string archive, params string[] more) =>
        Tar(["--format=" + format, "--numeric-owner", "--owner=0", "--group=0", "--mtime=@" + Mtime, "-cf", archive, .. more]);

    /// <summary>A file of the given bytes with the given permission bits.</summary>
    public string File(string name, byte[] content, UnixFileMode mode = (UnixFileMode)0b110_100_100)
    {
        string path = PathOf(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllBytes(path, content);
        SetMode(path, mode);
        return path;
    }

    /// <summary>A sparse file: holes everywhere but the written pieces.</summary>
    public string SparseFile(string name, long length, params (long Offset, byte[] Data)[] pieces)
    {
        string path = PathOf(name);
        using (var f = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            f.SetLength(length);
            foreach (var (offset, data) in pieces)
            {
                f.Position = offset;
                f.Write(data);
            }
        }
        SetMode(path, (UnixFileMode)0b110_100_100);
        return path;
    }

    /// <summary>Bytes with no zero byte (so no 512-byte block of them is all zeros).</summary>
    public static byte[] NonZero(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        for (int i = 0; i < bytes.Length; i++) if (bytes[i] == 0) bytes[i] = 0x5a;
        return bytes;
    }

    public static void AssertSameFile(string expected, string actual)
    {
        using var a = System.IO.File.OpenRead(expected);
        using var b = System.IO.File.OpenRead(actual);
        Assert.AreEqual(a.Length, b.Length, $"length of {actual}");
        var x = new byte[1 << 20];
        var y = new byte[1 << 20];
        for (long pos = 0; pos < a.Length;)
        {
            int n = a.ReadAtLeast(x, x.Length, throwOnEndOfStream: false);
            b.ReadExactly(y, 0, n);
            if (!x.AsSpan(0, n).SequenceEqual(y.AsSpan(0, n)))
                Assert.Fail($"{actual} differs from {expected} in [{pos}, {pos + n})");
            pos += n;
        }
    }

    public static void SetMode(string path, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("tar modes are tested on Unix");
        System.IO.File.SetUnixFileMode(path, mode);
    }

    public static UnixFileMode ModeOf(string path) =>
        OperatingSystem.IsWindows() ? throw new PlatformNotSupportedException("tar modes are tested on Unix") : System.IO.File.GetUnixFileMode(path);

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
