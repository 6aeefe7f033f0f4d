namespace ImageBuild.Engine.Formats.Vhdx;

/// <summary>
/// The errors qemu's vhdx driver fails an open with: mostly a bare errno (the block layer adds "Could not open 'F': "),
/// after an error_report line for the BAT and region checks.
/// </summary>
internal static class VhdxErrors
{
    public const int EINVAL = 22;
    public const int ENOTSUP = 95;

    /// <summary>-EINVAL: "Invalid argument".</summary>
    public static ImageException Invalid() => new("Invalid argument") { Errno = EINVAL };

    /// <summary>-ENOTSUP: "Operation not supported" (an unknown required region or metadata item).</summary>
    public static ImageException NotSupported() => new("Operation not supported") { Errno = ENOTSUP };
}
