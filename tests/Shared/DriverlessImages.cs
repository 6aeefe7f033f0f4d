namespace ImageBuild.Tests.Shared;

/// <summary>
/// An image of a format qemu-img 7.2 handles and this engine has no driver for yet, for tests that show such an image
/// is refused by name and never read as raw. Today that is luks (issue #18): a LUKS1 header's magic and version are
/// all qemu's probe looks at, and a hand-made header avoids qemu-img's key derivation.
/// </summary>
public static class DriverlessImages
{
    /// <summary>The format the image is.</summary>
    public const string Format = "luks";

    /// <summary>Writes a 1 MiB file at <paramref name="path"/> that probes as <see cref="Format"/> (score 100) and returns the path.</summary>
    public static string Write(string path)
    {
        var image = new byte[1 << 20];
        new byte[] { (byte)'L', (byte)'U', (byte)'K', (byte)'S', 0xBA, 0xBE, 0, 1 }.CopyTo(image, 0);
        File.WriteAllBytes(path, image);
        return path;
    }
}
