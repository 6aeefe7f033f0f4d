using System.Collections.Frozen;

namespace ImageBuild.Engine.Block;

/// <summary>
/// The block driver names qemu-img 7.2 knows (its "Supported formats" list, which is also what its BlockdevDriver
/// enum accepts on this build). A backing format outside this list is refused as qemu refuses it, even when this
/// engine cannot open that format itself: qemu records such names (rebase -u -F vmdk) and so must we.
/// </summary>
public static class QemuDriverNames
{
    private static readonly FrozenSet<string> Names = new[]
    {
        "blkdebug", "blklogwrites", "blkverify", "bochs", "cloop", "compress", "copy-before-write", "copy-on-read",
        "dmg", "file", "ftp", "ftps", "gluster", "host_cdrom", "host_device", "http", "https", "iscsi", "iser", "luks",
        "nbd", "nfs", "null-aio", "null-co", "nvme", "parallels", "preallocate", "qcow", "qcow2", "qed", "quorum",
        "raw", "rbd", "replication", "snapshot-access", "ssh", "throttle", "vdi", "vhdx", "vmdk", "vpc", "vvfat",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Whether qemu would accept <paramref name="name"/> as a format (bdrv_find_format / BlockdevDriver).</summary>
    public static bool IsKnown(string name) => Names.Contains(name);
}
