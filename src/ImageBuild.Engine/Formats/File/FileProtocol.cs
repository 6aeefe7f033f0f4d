using ImageBuild.Engine.Host;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Formats.File;

/// <summary>
/// The "file" protocol's create options (qemu's file-posix), appended after a format's own options,
/// and the preallocation it performs.
/// </summary>
public static class FileProtocol
{
    /// <summary>In file-posix's table order (raw_create_opts), which the Formatting line follows; help sorts them.</summary>
    public static readonly IReadOnlyList<CreateOption> CreateOptions =
    [
        new("size", OptionType.Size, "Virtual disk size"),
        new("nocow", OptionType.Bool, "Turn off copy-on-write (valid only on btrfs)"),
        new("preallocation", OptionType.String, "Preallocation mode (allowed values: off, falloc, full)"),
        new("extent_size_hint", OptionType.Size, "Extent size hint for the image file, 0 to disable"),
    ];

    /// <summary>Validates a file-level preallocation mode (off, falloc, full).</summary>
    public static Preallocation ParsePreallocation(string? value) => value switch
    {
        null or "off" => Preallocation.Off,
        "falloc" => Preallocation.Falloc,
        "full" => Preallocation.Full,
        "metadata" => throw new ImageException("Unsupported preallocation mode: metadata"),
        _ => throw new ImageException($"invalid parameter value: {value}"),
    };

    /// <summary>
    /// Creates the image file as qemu's file protocol does (raw_co_create) before a format writes into it: a
    /// preallocation value it cannot parse creates nothing, while 'metadata' is refused once the file exists (empty,
    /// and left behind as qemu leaves it). Returns the created file and the file-level preallocation mode.
    /// </summary>
    public static HostFile CreateFile(Block.CreateRequest request, out Preallocation preallocation)
    {
        string? value = request.Options.GetString("preallocation");
        if (value != "metadata")
            ParsePreallocation(value);
        var file = HostFile.Create(request.Filename, request.Context.HostFaults);
        try
        {
            preallocation = ParsePreallocation(value);
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Grows a file to <paramref name="newLength"/>, allocating the new part as the mode says.</summary>
    public static void Extend(HostFile file, long oldLength, long newLength, Preallocation mode)
    {
        switch (mode)
        {
            case Preallocation.Off:
                file.SetLength(newLength);
                break;
            case Preallocation.Falloc:
                file.SetLength(newLength);
                file.Allocate(oldLength, newLength - oldLength);
                break;
            case Preallocation.Full:
                file.WriteZeros(oldLength, newLength - oldLength);
                file.SetLength(newLength);
                break;
            default:
                throw new ImageException($"Unsupported preallocation mode: {mode.ToString().ToLowerInvariant()}");
        }
    }
}

public enum Preallocation
{
    Off,
    Metadata,
    Falloc,
    Full,
}
