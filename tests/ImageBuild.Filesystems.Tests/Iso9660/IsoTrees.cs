using System.Text;
using ImageBuild.Filesystems.Trees;

namespace ImageBuild.Filesystems.Tests.Iso9660;

/// <summary>Trees the ISO tests write: a NoCloud seed and a general tree with every kind of entry.</summary>
internal static class IsoTrees
{
    public const long Epoch = 1_700_000_000;

    public static TreeEntry Inline(string path, string text, int mode = 0x1A4) =>
        new() { Path = path, Kind = TreeEntryKind.File, Content = Encoding.UTF8.GetBytes(text), Size = Encoding.UTF8.GetByteCount(text), Mode = mode };

    public static TreeEntry Dir(string path, int mode = 0x1ED) => new() { Path = path, Kind = TreeEntryKind.Directory, Mode = mode };

    public static FileTree Seed() => new(
    [
        Inline("user-data", "#cloud-config\nhostname: seed\n"),
        Inline("meta-data", "instance-id: iid-local01\nlocal-hostname: seed\n"),
        Inline("network-config", "version: 2\nethernets: {}\n"),
    ]);

    public const string LongName = "A-Very-Long-Mixed-Case-File-Name-That-Goes-Well-Beyond-Sixty-Four-Characters-For-Joliet.Config.txt";

    /// <summary>Nested directories, a symlink, modes 0755 and 0600, long mixed-case names, an empty file, a 3 MiB file.</summary>
    public static FileTree General(string bigFile)
    {
        var big = new byte[3 << 20];
        for (int i = 0; i < big.Length; i++) big[i] = (byte)(i * 31 + (i >> 11));
        File.WriteAllBytes(bigFile, big);
        return new FileTree(
        [
            Dir("etc"),
            Dir("etc/Deep"),
            Dir("etc/Deep/Er"),
            Inline("etc/Deep/Er/leaf.TXT", "leaf\n"),
            Inline("etc/secret", "hush\n", 0x180),
            Inline("etc/run.sh", "#!/bin/sh\necho hi\n", 0x1ED),
            Inline("etc/" + LongName, "long\n"),
            Inline("empty", ""),
            new TreeEntry { Path = "big.bin", Kind = TreeEntryKind.File, SourcePath = bigFile, Size = big.Length, Mode = 0x1A4 },
            new TreeEntry { Path = "link", Kind = TreeEntryKind.Symlink, LinkTarget = "etc/Deep/Er/leaf.TXT", Mode = 0x1FF },
            new TreeEntry { Path = "abs-link", Kind = TreeEntryKind.Symlink, LinkTarget = "/usr/../bin/./sh", Mode = 0x1FF },
            Dir("MixedCase Dir"),
            Inline("MixedCase Dir/Readme.md", "# readme\n"),
            Inline("MixedCase Dir/readme.MD", "# other\n"),
        ]);
    }
}
