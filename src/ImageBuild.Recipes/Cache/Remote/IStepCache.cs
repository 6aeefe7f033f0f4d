namespace ImageBuild.Recipes.Cache.Remote;

/// <summary>
/// A store of built steps shared by machines (a registry), as the runner sees it: looked up by step key before a
/// step is built, written after. The runner's logic talks to nothing else, so it is tested against an in-memory
/// store; <see cref="OciStepCache"/> is the registry behind it.
/// </summary>
public interface IStepCache
{
    /// <summary>How messages name the store ("oci://host/repo").</summary>
    string Name { get; }

    /// <summary>The entry of <paramref name="key"/>, or null on a miss.</summary>
    /// <exception cref="StepCacheException">The store cannot answer, or serves something that is not a step entry.</exception>
    CachedStep? Find(string key, CancellationToken ct);

    /// <summary>
    /// Downloads the entry's files into <paramref name="directory"/> (a folder of the caller's that nothing else
    /// writes) under their recorded names. Returns, per file in the record's order, the content hash of the bytes
    /// written (<see cref="ContentHashBuilder"/>, computed as they were written, so the caller need not read the
    /// files back), or null when the store does not compute them (the caller hashes the files).
    /// </summary>
    /// <exception cref="StepCacheException">A download failed or a file did not match its digest.</exception>
    IReadOnlyList<FetchedFile>? Fetch(CachedStep entry, string directory, CancellationToken ct);

    /// <summary>Pushes the record and the files (name in the output directory, path where it is now, runs of data when known).</summary>
    /// <exception cref="StepCacheException">The store refused or could not be reached.</exception>
    void Store(string key, StepRecord record, IReadOnlyList<StepFile> files, CancellationToken ct);

    /// <summary>Whether the store has an entry for <paramref name="key"/> (cheap: no file is downloaded).</summary>
    /// <exception cref="StepCacheException">The store cannot answer.</exception>
    bool Contains(string key, CancellationToken ct);
}

/// <summary>An entry found in a step cache: the record it was stored with and where it came from (a manifest digest).</summary>
public sealed record CachedStep(string Key, StepRecord Record, string Source);

/// <summary>A file fetched from a step cache: its name, the content hash of the bytes written and how many bytes of data they were.</summary>
public sealed record FetchedFile(string Name, string Hash, long DataBytes);

/// <summary>
/// A file to store: its name in the output directory, the path where it is now and, when the runner found them
/// while hashing it just before, its runs of non-zero 4 KiB blocks (so the push reads it once; null: scanned).
/// </summary>
public sealed record StepFile(string Name, string Path, ExtentList? Extents = null);
