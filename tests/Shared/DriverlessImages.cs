using System.Text;
using ImageBuild.Engine.Block;

namespace ImageBuild.Tests.Shared;

/// <summary>
/// An image of a format the engine knows by name and probe but has no driver for, for tests that show such an
/// image is refused by name and never read as raw. Every format qemu-img 7.2 probes now has a driver (luks was the
/// last, issue #18), so the format is made up: <see cref="Context"/> registers it as an <see cref="UnsupportedFormat"/>,
/// exactly as the engine registers a format whose driver is not written yet, with a probe on its own magic.
/// </summary>
public static class DriverlessImages
{
    /// <summary>The format the image is.</summary>
    public const string Format = "nodriver";

    private static readonly byte[] Magic = Encoding.ASCII.GetBytes("IMAGEBUILD-TEST-NODRIVER\n");

    /// <summary>Every built-in format and <see cref="Format"/>, known by name and probe, without a driver.</summary>
    public static FormatRegistry Registry() =>
        FormatRegistry.CreateDefault().Register(new UnsupportedFormat(Format, Format, (header, _) => header.StartsWith(Magic) ? 100 : 0));

    /// <summary>An engine with <see cref="Registry"/>.</summary>
    public static ImageContext Context() => new(Registry());

    /// <summary>Writes a 1 MiB file at <paramref name="path"/> that probes as <see cref="Format"/> (score 100) and returns the path.</summary>
    public static string Write(string path)
    {
        var image = new byte[1 << 20];
        Magic.CopyTo(image, 0);
        File.WriteAllBytes(path, image);
        return path;
    }
}
