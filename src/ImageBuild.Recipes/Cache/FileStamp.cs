namespace ImageBuild.Recipes.Cache;

/// <summary>
/// A file's size and modification time with the content hash they were seen with: when size and mtime still
/// match, the hash is trusted without reading the file (the fast path of every no-op rerun).
/// </summary>
public sealed record FileStamp(long Size, long MtimeTicks, string Hash)
{
    /// <summary>How recent a modification time must be for the stamp to count as racy.</summary>
    public static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(2);

    /// <summary>Symbolic links followed at most (Linux's MAXSYMLINKS).</summary>
    private const int MaxLinks = 40;

    /// <summary>
    /// The size and modification time that stand for the file's content; null when there is no file. A symbolic link
    /// stands for the file it leads to: that file's size, and the newest modification time of the links on the way and
    /// of the file, so that both a change to the file and a link pointed elsewhere (a new link is newer) are seen.
    /// (.NET's FileInfo describes a link itself, so the link's own size and time would hide every change to the file.)
    /// </summary>
    public static (long Size, long MtimeTicks)? Observe(string path)
    {
        FileSystemInfo info = new FileInfo(path);
        long newest = info.LastWriteTimeUtc.Ticks;
        for (int hops = 0; info.LinkTarget is not null; hops++)
        {
            if (hops == MaxLinks) throw new IOException($"'{path}': too many levels of symbolic links");
            info = info.ResolveLinkTarget(returnFinalTarget: false)!;
            if (!info.Exists && info.LinkTarget is null) return null; // a dangling link
            newest = Math.Max(newest, info.LastWriteTimeUtc.Ticks);
        }
        if (info is not FileInfo { Exists: true } file) return null;
        return (file.Length, newest);
    }

    public bool Matches((long Size, long MtimeTicks) seen) => seen.Size == Size && seen.MtimeTicks == MtimeTicks;

    /// <summary>The file's hash: from the stamp when size and mtime match, else hashed (and a fresh stamp returned).</summary>
    public static FileStamp? Current(string path, FileStamp? known, out bool hashed)
    {
        hashed = false;
        var seen = Observe(path);
        if (seen is null) return null;
        if (known is not null && known.Matches(seen.Value))
            return known;
        hashed = true;
        string hash = ContentHasher.HashFile(path);
        // Re-read the stamp after hashing: a file changing while hashed keeps an mtime that will not match next time.
        // A file modified within the last moments may be modified again within the same timestamp tick without its
        // size changing ("racy" stamps, as git calls them): such a stamp is not trusted next time either.
        var after = Observe(path) ?? seen.Value;
        bool racy = Math.Abs(DateTime.UtcNow.Ticks - after.MtimeTicks) < RacyWindow.Ticks;
        return new FileStamp(after.Size, seen.Value == after && !racy ? after.MtimeTicks : -1, hash);
    }
}
