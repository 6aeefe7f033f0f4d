using System.Globalization;
using System.Text;
using ImageBuild.Filesystems.Trees;

namespace ImageBuild.Filesystems.Ext4;

/// <summary>
/// Writes an ext4 filesystem holding a <see cref="FileTree"/> with e2fsprogs' mke2fs -d, reproducibly and in place:
/// the tree is staged as a host directory (hard links, no content copied), mke2fs formats the byte range of the
/// target file directly (-E offset=), and every inode made from the tree then gets the tree's mode, owner and the
/// options' timestamps (<see cref="InodeFixup"/>), so nothing of the host (owners, times, umask, extended attributes,
/// the mke2fs.conf) reaches the output.
/// </summary>
public static class Ext4Writer
{
    private const int ZeroedHead = 4096;
    private const long MinimumBlocks = 2048; // below this mke2fs makes no journal

    /// <summary>
    /// Writes an ext4 filesystem of exactly <paramref name="size"/> bytes holding <paramref name="tree"/> into the
    /// existing file <paramref name="path"/> at byte <paramref name="offset"/> (the file is extended to offset+size if
    /// shorter; bytes outside [offset, offset+size) are never touched), via e2fsprogs' mke2fs -d.
    /// <paramref name="scratchDirectory"/> is an existing directory, on the same filesystem as the tree's source files
    /// for hard-link staging to work, in which a staging folder is made and removed again.
    /// </summary>
    /// <remarks>
    /// Unused blocks of the range are discarded by mke2fs (holes punched in the file, reading as zeros). The first
    /// 4 KiB of the range are zeroed before anything else, so when mke2fs or the inode fixup fails or is cancelled the
    /// range holds no primary ext4 superblock (backup superblocks mke2fs may already have written further in are not
    /// erased); the caller should still discard the partition's content. Errors are <see cref="IOException"/>s of one
    /// line; wrong options and sizes are <see cref="ArgumentException"/>s.
    /// </remarks>
    public static Ext4Result Write(string path, long offset, long size, FileTree tree, Ext4Options options,
        string scratchDirectory, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scratchDirectory);
        long blocks = CheckArguments(offset, size, options);
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("ext4 filesystems are written with e2fsprogs on Linux");
        string mke2fs = ToolRunner.Find("mke2fs");
        long treeBytes = tree.TotalFileBytes;
        if (treeBytes > size)
            throw DoesNotFit(tree, treeBytes, size);
        if (!File.Exists(path)) throw new IOException($"'{path}': the target file does not exist");
        cancellation.ThrowIfCancellationRequested();

        using var target = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        bool complete = false;
        try
        {
            if (target.Length < offset + size) target.SetLength(offset + size);
            RandomAccess.Write(target.SafeFileHandle, new byte[ZeroedHead], offset);
            target.Flush(flushToDisk: false);

            using (var staging = Staging.Create(scratchDirectory, tree, cancellation))
            {
                File.WriteAllText(staging.ConfigPath, Mke2fsConfig.Text);
                var run = ToolRunner.Run(mke2fs, Arguments(path, offset, blocks, options, staging.Root), new Dictionary<string, string>
                {
                    ["MKE2FS_CONFIG"] = staging.ConfigPath,
                    ["E2FSPROGS_FAKE_TIME"] = options.TimestampSeconds.ToString(CultureInfo.InvariantCulture),
                    ["MKE2FS_SYNC"] = "0",
                    ["MKE2FS_DEVICE_SECTSIZE"] = "512",
                    ["MKE2FS_DEVICE_PHYS_SECTSIZE"] = "512",
                }, cancellation);
                if (run.ExitCode != 0)
                {
                    string last = run.LastLine;
                    if (IsOutOfSpace(run.StdErr))
                        throw DoesNotFit(tree, treeBytes, size);
                    throw new IOException($"'{path}': mke2fs failed (exit {run.ExitCode}): {last}");
                }
            }

            var image = new Ext4Image(target.SafeFileHandle, offset, $"'{path}' at offset {offset}");
            InodeFixup.Apply(image, tree, options.TimestampSeconds, $"'{path}' at offset {offset}", cancellation);
            var sb = image.Super;
            complete = true;
            return new Ext4Result(sb.BlockSize, sb.BlocksCount, sb.BlocksCount - sb.FreeBlocksCount);
        }
        finally
        {
            if (!complete) RandomAccess.Write(target.SafeFileHandle, new byte[ZeroedHead], offset);
        }
    }

    private static long CheckArguments(long offset, long size, Ext4Options options)
    {
        if (options.BlockSize is not (1024 or 2048 or 4096))
            throw new ArgumentException($"ext4 block size {options.BlockSize}: it must be 1024, 2048 or 4096");
        if (Encoding.UTF8.GetByteCount(options.VolumeLabel) > 16)
            throw new ArgumentException($"ext4 volume label '{options.VolumeLabel}': at most 16 bytes of UTF-8");
        if (options.VolumeLabel.Contains('\0'))
            throw new ArgumentException("ext4 volume label: it cannot hold a NUL character");
        if (offset < 0) throw new ArgumentException($"offset {offset}: it cannot be negative");
        if (size % options.BlockSize != 0)
            throw new ArgumentException($"ext4 size {size}: it must be a multiple of the {options.BlockSize}-byte block");
        long blocks = size / options.BlockSize;
        if (blocks < MinimumBlocks)
            throw new ArgumentException($"ext4 size {size}: too small, at least {MinimumBlocks * options.BlockSize} bytes with {options.BlockSize}-byte blocks");
        if (blocks > uint.MaxValue * 16L)
            throw new ArgumentException($"ext4 size {size}: too large");
        return blocks;
    }

    private static List<string> Arguments(string path, long offset, long blocks, Ext4Options options, string root) =>
    [
        "-q", "-F", "-t", "ext4",
        "-b", options.BlockSize.ToString(CultureInfo.InvariantCulture),
        "-U", options.Uuid.ToString("D"),
        "-L", options.VolumeLabel,
        "-E", string.Create(CultureInfo.InvariantCulture,
            $"offset={offset},hash_seed={options.HashSeed:D},root_owner=0:0,lazy_itable_init=1,lazy_journal_init=1,discard"),
        "-d", root,
        path,
        blocks.ToString(CultureInfo.InvariantCulture),
    ];

    private static bool IsOutOfSpace(string stderr) =>
        stderr.Contains("Could not allocate block", StringComparison.Ordinal)
        || stderr.Contains("Could not allocate inode", StringComparison.Ordinal)
        || stderr.Contains("No free space", StringComparison.Ordinal)
        || stderr.Contains("No space left", StringComparison.Ordinal)
        || stderr.Contains("Could not allocate", StringComparison.Ordinal);

    private static IOException DoesNotFit(FileTree tree, long treeBytes, long size) =>
        new($"tree of {treeBytes} bytes in {tree.Entries.Count} entries does not fit a {size}-byte ext4 filesystem");
}
