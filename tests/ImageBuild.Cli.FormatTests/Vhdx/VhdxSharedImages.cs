using System.IO.Compression;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Vhdx;

/// <summary>The real VHDX images of ../shared/images, decompressed into a scratch directory.</summary>
internal static class VhdxSharedImages
{
    public static string Extract(string relativeGz, string dir)
    {
        string source = Path.Combine(QemuOracle.SharedImages ?? throw new AssertFailedException("no shared images"), relativeGz);
        string target = Path.Combine(dir, Path.GetFileNameWithoutExtension(relativeGz));
        using var input = new GZipStream(File.OpenRead(source), CompressionMode.Decompress);
        using var output = File.Create(target);
        input.CopyTo(output);
        return target;
    }
}
