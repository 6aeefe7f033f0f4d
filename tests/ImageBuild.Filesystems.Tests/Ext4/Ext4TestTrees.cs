using System.Text;
using ImageBuild.Filesystems.Ext4;
using ImageBuild.Filesystems.Trees;

namespace ImageBuild.Filesystems.Tests.Ext4;

/// <summary>The sample tree of the ext4 tests: host files and inline content, with every case the writer must carry.</summary>
internal static class Ext4TestTrees
{
    public static readonly Ext4Options Options = new()
    {
        Uuid = Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"),
        HashSeed = Guid.Parse("11223344-5566-7788-99aa-bbccddeeff00"),
        VolumeLabel = "imagebuild-root",
        TimestampSeconds = 1_700_000_001, // 2023-11-14 22:13:21 UTC
    };

    public static readonly string LongName = new string('n', 251) + ".txt"; // 255 bytes
    public static readonly string Utf8Name = "Ünïcödé – naïve résumé 日本語.txt";
    public static readonly string LongTarget = "../" + string.Join('/', Enumerable.Repeat("far-away-directory", 6)) + "/target"; // > 60 bytes

    /// <summary>Creates the sources under <paramref name="dir"/> and returns the tree and each file's expected bytes.</summary>
    public static (FileTree Tree, Dictionary<string, byte[]> Files) MakeSample(string dir)
    {
        Directory.CreateDirectory(dir);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var entries = new List<TreeEntry>();
        void AddDir(string path, int mode = 0b111_101_101, int uid = 0, int gid = 0) =>
            entries.Add(new TreeEntry { Path = path, Kind = TreeEntryKind.Directory, Mode = mode, Uid = uid, Gid = gid });
        void AddFile(string path, byte[] content, int mode = 0b110_100_100, int uid = 0, int gid = 0, bool inline = false)
        {
            files[path] = content;
            string? source = null;
            if (!inline)
            {
                source = Path.Combine(dir, $"source-{files.Count}.bin");
                File.WriteAllBytes(source, content);
            }
            entries.Add(new TreeEntry
            {
                Path = path, Kind = TreeEntryKind.File, Size = content.Length, Mode = mode, Uid = uid, Gid = gid,
                SourcePath = source, Content = inline ? content : (ReadOnlyMemory<byte>?)null,
            });
        }
        void AddLink(string path, string target) =>
            entries.Add(new TreeEntry { Path = path, Kind = TreeEntryKind.Symlink, Mode = 0b111_111_111, LinkTarget = target });

        var big = new byte[5 << 20];
        new Random(42).NextBytes(big);
        AddDir("etc");
        AddFile("etc/hostname", "imagebuild\n"u8.ToArray());
        AddFile("etc/meta-data", "instance-id: iid-1\n"u8.ToArray(), inline: true);
        AddDir("etc/ssl", mode: 0b111_000_000);
        AddFile("etc/ssl/private.key", "secret"u8.ToArray(), mode: 0b110_000_000);
        AddDir("usr");
        AddDir("usr/bin");
        AddFile("usr/bin/su", Encoding.ASCII.GetBytes("#!/bin/sh\n"), mode: 0b100_111_101_101); // 04755
        AddDir("usr/share");
        AddDir("usr/share/a");
        AddDir("usr/share/a/b");
        AddDir("usr/share/a/b/c");
        AddFile("usr/share/a/b/c/deep.txt", "deep"u8.ToArray());
        AddFile("usr/share/big.bin", big);
        AddFile("usr/share/empty", []);
        AddFile("usr/share/" + LongName, "long"u8.ToArray());
        AddFile("usr/share/" + Utf8Name, Encoding.UTF8.GetBytes("ünïcödé"));
        AddDir("home");
        AddDir("home/user", mode: 0b111_101_000, uid: 1000, gid: 1000);
        AddFile("home/user/notes.txt", "mine"u8.ToArray(), uid: 1000, gid: 1000);
        AddLink("usr/bin/sh", "dash");
        AddLink("usr/share/far", LongTarget);
        AddDir("empty-dir", mode: 0b111_000_000);
        return (new FileTree(entries), files);
    }

    /// <summary>A sparse file of <paramref name="length"/> bytes to format into.</summary>
    public static void MakeTarget(string path, long length)
    {
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write);
        f.SetLength(length);
    }
}
