using System.Text;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests.Filesystems;

/// <summary>Trees and oracles the filesystem, partition and seed step tests share.</summary>
internal static class ContentFixture
{
    /// <summary>A small boot tree (esp/) and root tree (root/) beside the recipe.</summary>
    public static (string Name, byte[] Content)[] Trees =>
    [
        ("esp/EFI/BOOT/BOOTX64.EFI", Bytes(70_000, 1)),
        ("esp/loader/loader.conf", Encoding.UTF8.GetBytes("timeout 3\n")),
        ("esp/loader/entries/a long entry name.conf", Encoding.UTF8.GetBytes("title A\n")),
        ("root/etc/hostname", Encoding.UTF8.GetBytes("demo\n")),
        ("root/usr/share/data.bin", Bytes(300_000, 7)),
        ("root/var/empty.txt", []),
        ("root/build/ignored.o", Encoding.UTF8.GetBytes("object\n")),
    ];

    /// <summary>Deterministic content: a byte pattern that differs per seed.</summary>
    public static byte[] Bytes(int length, int seed)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte)(i * 31 + seed * 17 + (i >> 9));
        return b;
    }

    /// <summary>Bytes [offset, offset+length) of a file copied into a new file (a partition, for tools that take one filesystem).</summary>
    public static string Extract(string disk, long offset, long length, string target)
    {
        using var src = File.OpenRead(disk);
        using var dst = File.Create(target);
        src.Position = offset;
        byte[] buf = new byte[1 << 20];
        for (long left = length; left > 0;)
        {
            int n = src.Read(buf, 0, (int)Math.Min(buf.Length, left));
            if (n == 0) break;
            dst.Write(buf, 0, n);
            left -= n;
        }
        return target;
    }

    /// <summary>Every regular file under a directory, by '/'-separated relative path, with its bytes.</summary>
    public static SortedDictionary<string, byte[]> FilesUnder(string root)
    {
        var d = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            if (!new FileInfo(f).Attributes.HasFlag(FileAttributes.ReparsePoint))
                d[Path.GetRelativePath(root, f).Replace('\\', '/')] = File.ReadAllBytes(f);
        return d;
    }

    /// <summary>Asserts two file sets hold the same names and bytes.</summary>
    public static void SameFiles(SortedDictionary<string, byte[]> expected, SortedDictionary<string, byte[]> actual, string what)
    {
        CollectionAssert.AreEqual(expected.Keys.ToList(), actual.Keys.ToList(), $"{what}: file names");
        foreach (var (name, bytes) in expected)
            Assert.IsTrue(bytes.AsSpan().SequenceEqual(actual[name]), $"{what}: '{name}' differs");
    }

    /// <summary>The partitions sfdisk reads from a disk: (start sector, sectors, type, name).</summary>
    public static List<(long Start, long Size, string Type, string? Name)> Sfdisk(string disk)
    {
        var r = ExternalTools.RunOk("sfdisk", Path.GetDirectoryName(disk)!, "--json", disk);
        using var doc = System.Text.Json.JsonDocument.Parse(r.StdOut);
        return doc.RootElement.GetProperty("partitiontable").GetProperty("partitions").EnumerateArray()
            .Select(p => (p.GetProperty("start").GetInt64(), p.GetProperty("size").GetInt64(), p.GetProperty("type").GetString()!,
                p.TryGetProperty("name", out var n) ? n.GetString() : null)).ToList();
    }
}
