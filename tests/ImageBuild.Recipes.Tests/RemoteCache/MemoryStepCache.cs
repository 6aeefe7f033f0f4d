using System.Text.Json;
using ImageBuild.Recipes.Cache;
using ImageBuild.Recipes.Cache.Remote;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests.RemoteCache;

/// <summary>
/// A step cache in a temporary directory, standing in for a registry in tests of the runner's logic: entries are
/// the record (as JSON, so nothing is shared with the runner's objects) and copies of the files. Faults: the whole
/// store down, a key that serves another key's entry (a moved tag), files altered on the way down.
/// </summary>
internal sealed class MemoryStepCache(string name = "oci://cache.test/steps") : IStepCache, IDisposable
{
    private readonly TempDir _dir = new();
    private readonly Dictionary<string, (string RecordJson, List<string> Names)> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _aliases = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<ExtentList?>> _extentsGiven = new(StringComparer.Ordinal);

    public string Name => name;

    /// <summary>Every call throws, as a registry that cannot be reached.</summary>
    public bool Down { get; set; }

    /// <summary>Stores (pushes) throw, lookups still answer: a registry refusing pushes.</summary>
    public bool RefusesPushes { get; set; }

    /// <summary>Applied to every file written by Fetch (a corrupted blob that still arrived).</summary>
    public Action<string>? AlterFetched { get; set; }

    public int Finds { get; private set; }
    public int Fetches { get; private set; }
    public int Stores { get; private set; }
    public int Contained { get; private set; }

    /// <summary>Every call, answered or not.</summary>
    public int Attempts { get; private set; }

    public IReadOnlyCollection<string> Keys
    {
        get { lock (_gate) return _entries.Keys.ToList(); }
    }

    /// <summary>The data runs the runner gave with each file of the last push of <paramref name="key"/> (null: none known).</summary>
    public IReadOnlyList<ExtentList?> ExtentsGiven(string key)
    {
        lock (_gate) return _extentsGiven[key];
    }

    public StepRecord RecordOf(string key)
    {
        lock (_gate) return JsonSerializer.Deserialize<StepRecord>(_entries[key].RecordJson)!;
    }

    /// <summary>From now on <paramref name="key"/> serves <paramref name="other"/>'s entry (a tag moved to another manifest).</summary>
    public void Alias(string key, string other)
    {
        lock (_gate) _aliases[key] = other;
    }

    public CachedStep? Find(string key, CancellationToken ct)
    {
        Fail();
        lock (_gate)
        {
            Finds++;
            string at = _aliases.GetValueOrDefault(key, key);
            if (!_entries.TryGetValue(at, out var e)) return null;
            return new CachedStep(key, JsonSerializer.Deserialize<StepRecord>(e.RecordJson)!, "memory:" + at);
        }
    }

    /// <summary>Copies the files; hashes nothing (null), so the runner hashes what it got.</summary>
    public IReadOnlyList<FetchedFile>? Fetch(CachedStep entry, string directory, CancellationToken ct)
    {
        Fail();
        string at = entry.Source["memory:".Length..];
        List<string> names;
        lock (_gate)
        {
            Fetches++;
            names = _entries[at].Names;
        }
        foreach (string n in names)
        {
            string dest = Path.Combine(directory, n);
            File.Copy(Path.Combine(_dir.Path, Hex(at), n), dest);
            AlterFetched?.Invoke(dest);
        }
        return null;
    }

    public void Store(string key, StepRecord record, IReadOnlyList<StepFile> files, CancellationToken ct)
    {
        Fail();
        if (RefusesPushes) throw new StepCacheException($"{Name}: push refused (403 denied)");
        string dir = Path.Combine(_dir.Path, Hex(key));
        Directory.CreateDirectory(dir);
        foreach (var f in files) File.Copy(f.Path, Path.Combine(dir, f.Name), overwrite: true);
        lock (_gate)
        {
            Stores++;
            _entries[key] = (JsonSerializer.Serialize(record), files.Select(f => f.Name).ToList());
            _extentsGiven[key] = files.Select(f => f.Extents).ToList();
        }
    }

    public bool Contains(string key, CancellationToken ct)
    {
        Fail();
        lock (_gate)
        {
            Contained++;
            return _entries.ContainsKey(key);
        }
    }

    private void Fail()
    {
        lock (_gate) Attempts++;
        if (Down) throw new StepCacheException($"{Name}: cannot connect to cache.test:443 (connection refused)") { Unusable = true };
    }

    private static string Hex(string key) => key.Replace("xxh128:", "", StringComparison.Ordinal);

    public void Dispose() => _dir.Dispose();
}
