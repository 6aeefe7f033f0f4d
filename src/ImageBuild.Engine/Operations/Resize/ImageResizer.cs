using ImageBuild.Engine.Block;
using ImageBuild.Engine.Formats.File;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Operations;

/// <summary>qemu-img resize: absolute or relative sizes, --shrink required to reduce, preallocation for growth.</summary>
public static class ImageResizer
{
    public const string ShrinkWarning =
        "Shrinking an image will delete all data beyond the shrunken image's end. Before performing such an operation, make sure there is no important data there.";

    public static void Resize(ImageContext context, ResizeRequest request)
    {
        var (relative, amount) = ParseSize(request.Size);
        Preallocation prealloc = request.Preallocation switch
        {
            null or "off" => Preallocation.Off,
            "metadata" => Preallocation.Metadata,
            "falloc" => Preallocation.Falloc,
            "full" => Preallocation.Full,
            _ => throw new ImageException($"Invalid preallocation mode '{request.Preallocation}'"),
        };

        using var device = ImageOpener.Open(context, request.Filename,
            new OpenOptions { Format = request.Format, Writable = true, NoBacking = true, Resize = true });
        long current = device.VirtualSize;
        long total = relative switch
        {
            '+' => current + amount,
            '-' => current - amount,
            _ => amount,
        };
        if (total <= 0)
            throw new ImageException("New image size must be positive");
        if (prealloc != Preallocation.Off && total <= current)
            throw new ImageException("Preallocation can only be used for growing images");
        if (total < current && !request.Shrink)
            throw new ShrinkRefusedException();
        BlockLimits.CheckTruncate(total);
        device.Resize(total, prealloc);
        device.Flush();
    }

    /// <summary>Splits "+N"/"-N"/"N" and parses N as qemu_strtosz.</summary>
    public static (char Sign, long Amount) ParseSize(string text)
    {
        char sign = text.Length > 0 && text[0] is '+' or '-' ? text[0] : '\0';
        string digits = sign == '\0' ? text : text[1..];
        if (!SizeParser.TryParse(digits, out long n))
            // qemu-img resize parses the size as a QemuOpts "size" parameter, whose message differs from create's
            throw new ImageException("Parameter 'size' expects a non-negative number below 2^64\nOptional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively.");
        return (sign, n);
    }
}

/// <summary>A shrink without --shrink: qemu prints an error, then <see cref="ImageResizer.ShrinkWarning"/> as a warning.</summary>
public sealed class ShrinkRefusedException() : ImageException("Use the --shrink option to perform a shrink operation.");
