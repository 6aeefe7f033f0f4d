using ImageBuild.Filesystems.Partitions;

namespace ImageBuild.Filesystems.Tests.Partitions;

/// <summary>Creates a sparse disk file and writes a planned layout into it.</summary>
internal static class PartitionTestDisk
{
    public const long MiB = 1 << 20;

    public static string Write(string path, PartitionLayout layout)
    {
        using var disk = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite);
        disk.SetLength(layout.DiskSize);
        PartitionTable.Write(disk, layout);
        return path;
    }
}
