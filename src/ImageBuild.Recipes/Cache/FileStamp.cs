namespace ImageBuild.Recipes.Cache;

/// <summary>
/// A file's size and modification time with the content hash they were seen with: when size and mtime still
/// match, the hash is trusted without reading the file (the fast path of every no-op rerun).
/// </summary>
public sealed record FileStamp(long Size, long MtimeTicks, string Hash)
{
    /// <summary>How recent a modification time must be for the stamp to count as racy.</summary>
    public static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(2);

    public static (long Size, long MtimeTicks)? Observe(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) return null;
        return (info.Length, info.LastWriteTimeUtc.Ticks);
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
