using System.Text.Json;

namespace ImageBuild.Recipes.Cache;

/// <summary>What the output directory remembers about one step's last successful run.</summary>
public sealed record StepRecord
{
    public required string Key { get; init; }
    public required string Kind { get; init; }
    /// <summary>The kind's semantic version, the parameters' hash and each input's content hash, to explain reruns.</summary>
    public int Version { get; init; }
    public string? ParamsHash { get; init; }
    public Dictionary<string, string> Inputs { get; init; } = new(StringComparer.Ordinal);
    /// <summary>The output image (file name in the output directory) and its stamp; null for steps without one.</summary>
    public string? Output { get; init; }
    /// <summary>The main file's size and mtime with the output's hash (<see cref="OutputHash"/>: the file's own hash for a single file).</summary>
    public FileStamp? OutputStamp { get; init; }
    /// <summary>
    /// Every file of an output of several files (main first, names in the output directory), each with its own stamp
    /// and hash; null for a single-file output. Up-to-date checks stat each; pruning removes each.
    /// </summary>
    public List<OutputFile>? Files { get; init; }
    public string? Format { get; init; }
    public long? VirtualSize { get; init; }
    public long? MeasuredRequired { get; init; }
    public long? MeasuredFullyAllocated { get; init; }
    public string? MeasuredFormat { get; init; }
    public string? Note { get; init; }
}

/// <summary>One file of a several-file output: its name in the output directory and its own stamp and hash.</summary>
public sealed record OutputFile(string Name, FileStamp Stamp);

/// <summary>
/// The output directory's memory (.imagebuild/state.json): each step's last key and output stamp, and stamps of
/// repository files. Saved with write-to-temp + rename, so a crash leaves either the old or the new state, never
/// half of one. A step's record is written only after its output has been renamed into place.
/// </summary>
public sealed class BuildState
{
    public const int FormatVersion = 1;
    private readonly object _gate = new();
    private readonly object _saving = new();

    /// <summary>The text last read from or written to the state file: a save that would write the same is skipped.</summary>
    private string? _onDisk;

    public int Version { get; set; } = FormatVersion;
    public Dictionary<string, StepRecord> Steps { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, FileStamp> Files { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Outputs being moved into place, by step: the file names (old and new) that may be half-replaced. Saved before
    /// the first file of a several-file output moves and cleared with the step's new record; a run that finds an
    /// entry (an earlier run died while moving) deletes those files, and the step, whose record is gone, runs again.
    /// </summary>
    public Dictionary<string, List<string>>? Moving { get; set; }

    /// <summary>
    /// Layer digests of files this directory pushed to or pulled from a registry, by "CONTENT-HASH NAME" (a layer is
    /// one named file): a later push of the same file asks the registry for that blob first instead of uploading it.
    /// Only a hint: a digest names its bytes, so a stale entry can cost an upload, never a wrong file.
    /// </summary>
    public Dictionary<string, string>? RemoteDigests { get; set; }

    /// <summary>The state every recipe run of an output directory shares.</summary>
    public const string DefaultName = "state";

    /// <summary>OUTPUT/.imagebuild/NAME.json: recipe runs use <see cref="DefaultName"/>, single operations one name each.</summary>
    public static string PathIn(string outputDir, string name = DefaultName) => Path.Combine(outputDir, ".imagebuild", name + ".json");

    /// <summary>Loads the state, or an empty one when absent, unreadable or of another format version.</summary>
    public static BuildState Load(string outputDir, string name = DefaultName)
    {
        string path = PathIn(outputDir, name);
        // A link or FIFO in place of the state is refused, not followed (reading a FIFO would block the run).
        Host.StateFile.EnsureDirectory(Path.GetDirectoryName(path)!, create: false);
        Host.StateFile.RefuseNonRegular(path);
        try
        {
            if (!File.Exists(path)) return new BuildState();
            string text = File.ReadAllText(path);
            var state = JsonSerializer.Deserialize(text, BuildStateJson.Default.BuildState);
            if (state is null || state.Version != FormatVersion) return new BuildState();
            state._onDisk = text;
            state.Steps = new Dictionary<string, StepRecord>(state.Steps, StringComparer.Ordinal);
            state.Files = new Dictionary<string, FileStamp>(state.Files, StringComparer.Ordinal);
            state.Moving = state.Moving is { Count: > 0 } moving ? new Dictionary<string, List<string>>(moving, StringComparer.Ordinal) : null;
            state.RemoteDigests = state.RemoteDigests is { Count: > 0 } digests ? new Dictionary<string, string>(digests, StringComparer.Ordinal) : null;
            return state;
        }
        catch (Exception e) when (e is JsonException or IOException or NotSupportedException)
        {
            return new BuildState();
        }
    }

    public StepRecord? GetStep(string id)
    {
        lock (_gate) return Steps.GetValueOrDefault(id);
    }

    public FileStamp? GetFile(string path)
    {
        lock (_gate) return Files.GetValueOrDefault(path);
    }

    public void SetFile(string path, FileStamp stamp)
    {
        lock (_gate) Files[path] = stamp;
    }

    /// <summary>Sets (or with null clears) the files a step is moving into place.</summary>
    public void SetMoving(string id, List<string>? names)
    {
        lock (_gate)
        {
            if (names is not null) (Moving ??= new(StringComparer.Ordinal))[id] = names;
            else if (Moving is not null && Moving.Remove(id) && Moving.Count == 0) Moving = null;
        }
    }

    /// <summary>The layer digest remembered for the file <paramref name="name"/> with content hash <paramref name="hash"/>; null when none.</summary>
    public string? GetRemoteDigest(string hash, string name)
    {
        lock (_gate) return RemoteDigests?.GetValueOrDefault(hash + " " + name);
    }

    public void SetRemoteDigest(string hash, string name, string digest)
    {
        lock (_gate) (RemoteDigests ??= new(StringComparer.Ordinal))[hash + " " + name] = digest;
    }

    /// <summary>Forgets the layer digests of files no step record has any more.</summary>
    public void PruneRemoteDigests()
    {
        lock (_gate)
        {
            if (RemoteDigests is null) return;
            var kept = new HashSet<string>(StringComparer.Ordinal);
            foreach (var r in Steps.Values)
            {
                if (r.Files is { Count: > 1 } files)
                    foreach (var f in files) kept.Add(f.Stamp.Hash + " " + f.Name);
                else if (r.Output is { } o && r.OutputStamp is { } stamp)
                    kept.Add(stamp.Hash + " " + o);
            }
            foreach (string k in RemoteDigests.Keys.Where(k => !kept.Contains(k)).ToList()) RemoteDigests.Remove(k);
            if (RemoteDigests.Count == 0) RemoteDigests = null;
        }
    }

    public List<KeyValuePair<string, List<string>>> MovingSnapshot()
    {
        lock (_gate) return Moving?.ToList() ?? [];
    }

    /// <summary>Every file name the records of steps other than <paramref name="except"/> own (main files and the rest).</summary>
    public HashSet<string> OutputNamesExcept(string? except)
    {
        lock (_gate)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (id, r) in Steps)
            {
                if (id == except) continue;
                if (r.Output is { } o) names.Add(o);
                foreach (var f in r.Files ?? []) names.Add(f.Name);
            }
            return names;
        }
    }

    public void SetStep(string id, StepRecord? record)
    {
        lock (_gate)
        {
            if (record is null) Steps.Remove(id);
            else Steps[id] = record;
        }
    }

    /// <summary>
    /// Writes the state atomically (temp file in the same directory, flushed, renamed over), unless it would write
    /// what the file already holds (a run with nothing to do, a record set to what it was): no rewrite, no fsync.
    /// </summary>
    public void Save(string outputDir, string name = DefaultName)
    {
        string path = PathIn(outputDir, name);
        lock (_saving) // serializing and writing together: two saves never write in the other order
        {
            string text;
            lock (_gate) text = JsonSerializer.Serialize(this, BuildStateJson.Default.BuildState);
            if (text == _onDisk && File.Exists(path)) return;
            AtomicFile.WriteAllText(path, text);
            _onDisk = text;
        }
    }
}

/// <summary>
/// Write-to-temp, flush, rename: readers see the old file or the new one. Never through a link: the .imagebuild
/// folder, the file and its temporary file are refused or replaced when they are links, never followed.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string text)
    {
        string dir = Path.GetDirectoryName(path)!;
        if (Path.GetFileName(dir) == ".imagebuild")
            Host.StateFile.EnsureDirectory(dir);
        else
            Directory.CreateDirectory(dir);
        Host.StateFile.RefuseNonRegular(path);
        string tmp = $"{path}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp";
        using (var fs = Host.StateFile.CreateNew(tmp))
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(text);
            fs.Write(bytes);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }
}
