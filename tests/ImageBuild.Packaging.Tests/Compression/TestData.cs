using System.Text;

namespace ImageBuild.Packaging.Tests.Compression;

/// <summary>Inputs like a disk image's: runs of zeros, text, and incompressible bytes, the same on every run.</summary>
internal static class TestData
{
    /// <summary>About 4 MiB: 1 MiB of zeros, ~1.5 MiB of text, ~1.5 MiB of pseudo-random bytes, 1 MiB of zeros, an odd tail.</summary>
    public static byte[] Mixed()
    {
        var data = new byte[(4 << 20) + 12345];
        var random = new Random(20);
        var text = new StringBuilder();
        string[] words = ["kernel", "initrd", "boot", "partition", "grub", "ext4", "systemd", "cloud-init", "qcow2", "sector"];
        while (text.Length < 1_600_000)
            text.Append(words[random.Next(words.Length)]).Append(random.Next(100) < 10 ? '\n' : ' ');
        Encoding.ASCII.GetBytes(text.ToString()).AsSpan(0, 1_500_000).CopyTo(data.AsSpan(1 << 20));
        random.NextBytes(data.AsSpan((1 << 20) + 1_500_000, 1_500_000));
        random.NextBytes(data.AsSpan(data.Length - 12345));
        return data;
    }
}
