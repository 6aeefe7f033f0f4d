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

    /// <summary>Downloads the entry's files into <paramref name="directory"/> under their recorded names.</summary>
    /// <exception cref="StepCacheException">A download failed or a file did not match its digest.</exception>
    void Fetch(CachedStep entry, string directory, CancellationToken ct);

    /// <summary>Pushes the record and the files (name in the output directory, path where it is now).</summary>
    /// <exception cref="StepCacheException">The store refused or could not be reached.</exception>
    void Store(string key, StepRecord record, IReadOnlyList<(string Name, string Path)> files, CancellationToken ct);

    /// <summary>Whether the store has an entry for <paramref name="key"/> (cheap: no file is downloaded).</summary>
    /// <exception cref="StepCacheException">The store cannot answer.</exception>
    bool Contains(string key, CancellationToken ct);
}

/// <summary>An entry found in a step cache: the record it was stored with and where it came from (a manifest digest).</summary>
public sealed record CachedStep(string Key, StepRecord Record, string Source);
