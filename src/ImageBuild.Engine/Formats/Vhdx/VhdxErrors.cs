namespace ImageBuild.Engine.Formats.Vhdx;

/// <summary>
/// The errors qemu's vhdx driver fails an open with: mostly a bare errno, which qemu's bdrv_open_driver turns into
/// "Could not open 'F': strerror" (and the block layer prefixes "Could not open 'F': " again), after an error_report
/// line for the BAT and region checks.
/// </summary>
internal static class VhdxErrors
{
    public const int EINVAL = 22;
    public const int ENOTSUP = 95;

    /// <summary>-EINVAL: "Invalid argument".</summary>
    public static ImageException Invalid(string filename) => new($"Could not open '{filename}': Invalid argument") { Errno = EINVAL };

    /// <summary>-ENOTSUP: "Operation not supported" (an unknown required region or metadata item).</summary>
    public static ImageException NotSupported(string filename) => new($"Could not open '{filename}': Operation not supported") { Errno = ENOTSUP };
}
