using System.Globalization;
using System.IO.Enumeration;
using System.Text;
using ImageBuild.Filesystems.Trees;

namespace ImageBuild.Filesystems.Ext4;

/// <summary>
/// Writes an ext4 filesystem holding a <see cref="FileTree"/> with e2fsprogs' mke2fs -d, reproducibly and in place:
/// mke2fs formats the byte range of the target file directly (-E offset=) from a host directory, and every inode made
/// from the tree then gets the tree's mode, owner and the options' timestamps (<see cref="InodeFixup"/>), so nothing of
/// the host (owners, times, umask, in-inode extended attributes, the host's mke2fs.conf) reaches the output.
/// The host directory is the sources' own when the tree mirrors one directory exactly (a <see cref="TreeScanner"/>
/// scan without exclusions: no staging at all); otherwise, or when what mke2fs made from it is not exactly the tree
/// (hard links between tree files, a file that changed), the tree is staged under the scratch directory
/// (<see cref="Staging"/>: hard links, no content copied) and the range formatted again.
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
        string where = $"'{path}' at offset {offset}";
        string config = ScratchName(scratchDirectory, "mke2fs.conf");
        bool complete = false;
        try
        {
            if (target.Length < offset + size) target.SetLength(offset + size);
            RandomAccess.Write(target.SafeFileHandle, new byte[ZeroedHead], offset);
            File.WriteAllText(config, Mke2fsConfig.Text);
            var environment = new Dictionary<string, string>
            {
                ["MKE2FS_CONFIG"] = config,
                ["E2FSPROGS_FAKE_TIME"] = options.TimestampSeconds.ToString(CultureInfo.InvariantCulture),
            };
            void Format(string root, bool direct, CancellationToken stop)
            {
                var run = ToolRunner.Run(mke2fs, Arguments(path, offset, blocks, options, root), environment, stop);
                if (run.ExitCode == 0) return;
                // straight on the sources, the directory may hold what the tree leaves out: try again from staging
                if (direct) throw new TreeMismatchException($"'{root}': mke2fs -d failed on it: {run.LastLine}");
                if (IsOutOfSpace(run.StdErr)) throw DoesNotFit(tree, treeBytes, size);
                throw new IOException($"'{path}': mke2fs failed (exit {run.ExitCode}): {run.LastLine}");
            }
            Ext4Result Fix()
            {
                var image = new Ext4Image(target.SafeFileHandle, offset, where);
                InodeFixup.Apply(image, tree, options.TimestampSeconds, where, cancellation);
                return new Ext4Result(image.Super.BlockSize, image.Super.BlocksCount, image.Super.BlocksCount - image.Super.FreeBlocksCount);
            }

            Ext4Result result;
            if (CandidateRoot(tree) is { } sourceRoot && TryDirect(sourceRoot, tree, Format, Fix, cancellation) is { } direct)
            {
                result = direct;
            }
            else
            {
                var staging = Staging.Create(scratchDirectory, tree, cancellation);
                Task? removal = null;
                try
                {
                    Format(staging.Root, direct: false, cancellation);
                    removal = Task.Run(staging.Dispose, CancellationToken.None); // while the inodes are fixed
                    result = Fix();
                }
                finally
                {
                    if (removal is null) staging.Dispose();
                    else removal.GetAwaiter().GetResult();
                }
            }
            complete = true;
            return result;
        }
        finally
        {
            if (!complete) RandomAccess.Write(target.SafeFileHandle, new byte[ZeroedHead], offset);
            File.Delete(config);
        }
    }

    /// <summary>
    /// The host directory the tree may mirror, so that it can be given to mke2fs -d as it is: every file has a source
    /// path that is that directory plus the entry's path (as <see cref="TreeScanner"/> makes them) and no file is
    /// inline. Whether its directories hold exactly the tree's names is <see cref="ListsExactly"/>'s to say; the rest
    /// (no hard links between tree files, the same kinds, sizes and symlink targets) is checked afterwards by
    /// <see cref="InodeFixup"/>.
    /// </summary>
    private static string? CandidateRoot(FileTree tree)
    {
        string? root = null;
        foreach (var e in tree.Entries)
        {
            if (e.Kind != TreeEntryKind.File) continue;
            if (e.SourcePath is not { } source) return null;
            string suffix = "/" + e.Path;
            if (!source.EndsWith(suffix, StringComparison.Ordinal)) return null;
            string candidate = source[..^suffix.Length];
            if (candidate.Length == 0) return null;
            if (root is null) root = candidate;
            else if (root != candidate) return null;
        }
        return root is not null && Directory.Exists(root) ? root : null;
    }

    /// <summary>Whether every directory of the tree lists exactly the tree's names under <paramref name="root"/> on the host (nothing excluded).</summary>
    private static bool ListsExactly(string root, FileTree tree, CancellationToken cancellation)
    {
        var children = tree.Entries.ToLookup(e => e.ParentPath, StringComparer.Ordinal);
        foreach (var dir in tree.Entries.Where(e => e.Kind == TreeEntryKind.Directory).Select(e => e.Path).Prepend(""))
        {
            if (cancellation.IsCancellationRequested) return false;
            var expected = children[dir].Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
            int count = 0;
            try
            {
                var names = new FileSystemEnumerable<string>(dir.Length == 0 ? root : Path.Combine(root, dir),
                    (ref FileSystemEntry entry) => entry.FileName.ToString(), new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = false, IgnoreInaccessible = false });
                foreach (var name in names)
                {
                    if (!expected.Contains(name)) return false;
                    count++;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
            if (count != expected.Count) return false;
        }
        return true;
    }

    /// <summary>
    /// mke2fs -d straight on the sources' directory (no staging), while the directory listings are compared with the
    /// tree on the other core: a listing that differs (something excluded) stops mke2fs at once. Null when the
    /// directory is not exactly the tree or what mke2fs made is not (then the range is formatted again from a staged
    /// copy).
    /// </summary>
    private static Ext4Result? TryDirect(string root, FileTree tree, Action<string, bool, CancellationToken> format, Func<Ext4Result> fix,
        CancellationToken cancellation)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var listing = Task.Run(() =>
        {
            bool same = ListsExactly(root, tree, stop.Token);
            if (!same) stop.Cancel();
            return same;
        }, CancellationToken.None);
        bool formatted = false;
        try
        {
            format(root, true, stop.Token);
            formatted = true;
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return null; // stopped by the listing
        }
        catch (TreeMismatchException)
        {
            return null;
        }
        finally
        {
            // The listing never outlives this call (nor the token source it may cancel); after a good format it finishes.
            if (!formatted && !listing.IsCompleted) stop.Cancel();
            listing.Wait(CancellationToken.None);
        }
        if (!listing.Result) return null;
        try
        {
            return fix();
        }
        catch (TreeMismatchException)
        {
            return null;
        }
    }

    private static string ScratchName(string scratchDirectory, string name)
    {
        if (!Directory.Exists(scratchDirectory))
            throw new IOException($"'{scratchDirectory}': the scratch directory does not exist");
        for (int n = 0; ; n++)
        {
            string p = Path.Combine(scratchDirectory, $".ext4-{Environment.ProcessId}-{n}-{name}");
            if (!File.Exists(p) && !Directory.Exists(p)) return p;
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
        // mke2fs 1.47.0 reads E2FSPROGS_FAKE_TIME=0 as "no fake time" and stamps the superblock and its own inodes
        // with the clock; it has no way to write a time before 1970.
        if (options.TimestampSeconds <= 0)
            throw new ArgumentException($"ext4 timestamp {options.TimestampSeconds}: it must be after 1970-01-01 00:00:00 UTC (mke2fs takes 0 as the current time)");
        if (options.TimestampSeconds > uint.MaxValue)
            throw new ArgumentException($"ext4 timestamp {options.TimestampSeconds}: after 2106, beyond what mke2fs 1.47.0 stamps reliably");
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
