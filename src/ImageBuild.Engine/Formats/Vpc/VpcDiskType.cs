namespace ImageBuild.Engine.Formats.Vpc;

/// <summary>The footer's Disk Type field (VHD specification, "Disk Type"); the others (0, 1, 5, 6) are not disks qemu reads.</summary>
internal static class VpcDiskType
{
    /// <summary>A fixed hard disk: guest data at the start of the file, the footer after it.</summary>
    public const uint Fixed = 2;

    /// <summary>A dynamic hard disk: footer copy, dynamic disk header, BAT, blocks, footer.</summary>
    public const uint Dynamic = 3;

    /// <summary>A differencing hard disk: a dynamic disk whose unwritten sectors read from its parent.</summary>
    public const uint Differencing = 4;
}
