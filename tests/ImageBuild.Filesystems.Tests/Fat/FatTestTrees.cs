using System.Text;
using ImageBuild.Filesystems.Trees;

namespace ImageBuild.Filesystems.Tests.Fat;

/// <summary>Trees for the FAT tests: a folder walked into a <see cref="FileTree"/>, and a sample folder with the hard cases.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class FatTestTrees
{
    /// <summary>Walks <paramref name="root"/> (files and directories only) into a tree with host paths.</summary>
    public static FileTree Walk(string root)
    {
        var entries = new List<TreeEntry>();
        void Visit(string dir, string rel)
        {
            foreach (var info in new DirectoryInfo(dir).EnumerateFileSystemInfos())
            {
                string path = rel.Length == 0 ? info.Name : rel + "/" + info.Name;
                int mode = (int)info.UnixFileMode; // from the enumeration's own stat: no extra system call
                if (info.Attributes.HasFlag(FileAttributes.ReparsePoint))
                    entries.Add(new TreeEntry { Path = path, Kind = TreeEntryKind.Symlink, LinkTarget = info.LinkTarget, Mode = 0777 });
                else if (info is DirectoryInfo)
                {
                    entries.Add(new TreeEntry { Path = path, Kind = TreeEntryKind.Directory, Mode = mode });
                    Visit(info.FullName, path);
                }
                else
                    entries.Add(new TreeEntry { Path = path, Kind = TreeEntryKind.File, Size = ((FileInfo)info).Length, Mode = mode, SourcePath = info.FullName });
            }
        }
        Visit(root, "");
        return new FileTree(entries);
    }

    /// <summary>
    /// Creates the sample content under <paramref name="dir"/>: files in the root, nested directories, long, mixed-case
    /// and unicode names, two names that clash in 8.3 (and differ only in case), an empty file, a file of
    /// <paramref name="bigBytes"/> bytes (several clusters), a read-only file, an empty directory.
    /// </summary>
    public static Dictionary<string, byte[]> MakeSample(string dir, int bigBytes)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            ["README.TXT"] = "upper 8.3\n"u8.ToArray(),
            ["readme.md"] = "lower 8.3\n"u8.ToArray(),
            ["Mixed.Txt"] = "mixed case 8.3\n"u8.ToArray(),
            ["Long File Name.txt"] = "first clash\n"u8.ToArray(),
            ["long file name.TXT"] = "second clash\n"u8.ToArray(),
            ["empty"] = [],
            ["big.bin"] = Pattern(bigBytes, 7),
            ["EFI/BOOT/BOOTX64.EFI"] = Pattern(5000, 3),
            ["EFI/BOOT/grub.cfg"] = "set timeout=0\n"u8.ToArray(),
            ["docs/Ünïcödé – naïve résumé.txt"] = Encoding.UTF8.GetBytes("unicode ☃\n"),
            ["docs/日本語のファイル名.txt"] = "cjk\n"u8.ToArray(),
            ["docs/a.b.c.d"] = "dots\n"u8.ToArray(),
            [".hidden"] = "dot file\n"u8.ToArray(),
            ["docs/deep/deeper/deepest/" + new string('x', 200) + ".dat"] = Pattern(3000, 11),
            ["ro.txt"] = "read only\n"u8.ToArray(),
        };
        foreach (var (rel, content) in files)
        {
            string p = Path.Combine(dir, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(p)!);
            File.WriteAllBytes(p, content);
        }
        File.SetUnixFileMode(Path.Combine(dir, "ro.txt"), UnixFileMode.UserRead | UnixFileMode.GroupRead);
        Directory.CreateDirectory(Path.Combine(dir, "empty dir"));
        return files;
    }

    public static byte[] Pattern(int length, int seed)
    {
        var b = new byte[length];
        uint x = (uint)seed * 2654435761u + 1;
        for (int i = 0; i < length; i++)
        {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            b[i] = (byte)x;
        }
        return b;
    }
}
