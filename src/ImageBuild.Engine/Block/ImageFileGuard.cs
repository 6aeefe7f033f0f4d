using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Block;

/// <summary>
/// The checks made before a file is opened as an image (<see cref="ImageContext.FilePolicy"/>): FIFOs and sockets are
/// refused as qemu's file driver refuses them (without first blocking until a writer appears, as qemu's open does),
/// devices too unless qemu's policy applies, and under <see cref="ImageFilePolicy.Untrusted"/> every file an image
/// names (backing file, data file) must be a regular file inside the naming image's own directory.
/// </summary>
public static class ImageFileGuard
{
    /// <summary>Checks <paramref name="filename"/> before it is opened as an image (top or referenced).</summary>
    public static void BeforeOpen(ImageContext context, string filename)
    {
        var type = FileKind.Of(filename, followLinks: true);
        if (type is FileType.Fifo or FileType.Socket)
            throw new ImageFileException($"'file' driver requires '{filename}' to be a regular file");
        if (context.FilePolicy != ImageFilePolicy.Qemu && type is not FileType.Regular and not FileType.Missing and not FileType.Directory)
            throw new ImageFileException($"'{filename}' is {FileKind.Describe(type)}, not a regular file ({Why(context)})");
    }

    /// <summary>
    /// Checks the file <paramref name="referenced"/> (already resolved against the image's name, as qemu's
    /// path_combine does) that image <paramref name="image"/> names as its <paramref name="what"/>.
    /// </summary>
    public static void CheckReference(ImageContext context, string image, string referenced, string what)
    {
        if (context.FilePolicy != ImageFilePolicy.Untrusted || referenced.Length == 0)
            return; // an empty name is the open's to report
        string Violation(string reason) => $"{what} '{referenced}' named by untrusted image '{image}' {reason}";
        string dir = Path.GetDirectoryName(Path.GetFullPath(image))!;
        string full = Path.GetFullPath(referenced);
        bool lexicallyInside = full.StartsWith(WithSlash(dir), StringComparison.Ordinal);
        string? real = FileKind.RealPath(full);
        string? realDir = FileKind.RealPath(dir);
        if (real is null || realDir is null)
        {
            if (!lexicallyInside)
                throw new ImageFileException(Violation("is outside the image's directory"));
            return; // missing: the open reports it as for any image
        }
        if (!real.StartsWith(WithSlash(realDir), StringComparison.Ordinal))
            throw new ImageFileException(Violation(lexicallyInside
                ? $"leads outside the image's directory through a symbolic link (to '{real}')"
                : "is outside the image's directory"));
        var type = FileKind.Of(real, followLinks: false);
        if (type != FileType.Regular)
            throw new ImageFileException(Violation($"is {FileKind.Describe(type)}, not a regular file"));
    }

    /// <summary>Opens a file an image names that is not an image of its own (qcow2's external data file).</summary>
    public static HostFile OpenReferenced(ImageContext context, string image, string referenced, string what, bool writable)
    {
        CheckReference(context, image, referenced, what);
        BeforeOpen(context, referenced);
        return HostFile.Open(referenced, writable, context.HostFaults);
    }

    private static string WithSlash(string dir) => dir.EndsWith('/') ? dir : dir + "/";

    private static string Why(ImageContext context) => context.FilePolicy == ImageFilePolicy.Untrusted
        ? "untrusted images are read from regular files only"
        : "devices, FIFOs and sockets are never opened as images here";
}

/// <summary>A file refused by <see cref="ImageFileGuard"/>: the policy, not the image's content, is the reason.</summary>
public sealed class ImageFileException(string message) : ImageException(message);
