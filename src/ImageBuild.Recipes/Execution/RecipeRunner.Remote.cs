using System.Globalization;
using ImageBuild.Engine;
using ImageBuild.Engine.Block;
using ImageBuild.Recipes.Cache;
using ImageBuild.Recipes.Cache.Remote;
using ImageBuild.Recipes.Events;
using ImageBuild.Recipes.Host;
using ImageBuild.Recipes.Model;
using ImageBuild.Recipes.Schema;
using ImageBuild.Recipes.Steps;

namespace ImageBuild.Recipes.Execution;

/// <summary>
/// The runner with a remote step cache: a step that must run is first looked up by key; a verified entry is moved
/// into place exactly as a built output (the step is <see cref="StepStatus.Pulled"/>); anything wrong with the store
/// or the entry is a warning and the step is built here (a failed step with <c>Required</c>). Built steps, and
/// steps up to date here that the store lacks, are pushed in the background; the run waits for the pushes.
/// </summary>
public sealed partial class RecipeRunner
{
    /// <summary>The caches a host gave (tests), else the stores the host's settings over the recipe's <c>cache:</c> name.</summary>
    private StepCaches? OpenCaches()
    {
        if (_options.RemoteCaches is { } given) return given();
        var settings = _options.Cache is { } host ? host.Over(_recipe.Cache) : _recipe.Cache;
        if (settings is not { IsEnabled: true }) return null;
        try
        {
            return StepCaches.Open(settings, reference => _options.OpenStore(reference, settings,
                warning => _events.Emit(new RecipeEvent { Type = "warning", Message = warning.Replace('\n', ' ') }), _state));
        }
        catch (StepCacheException e)
        {
            if (settings.Required) throw new IOException(e.Message, e);
            _events.Emit(new RecipeEvent { Type = "warning", Message = $"{e.Message}; no step is looked up or pushed" });
            return null;
        }
    }

    /// <summary>
    /// Pulls a step that must run from the store, when it may be cached and the store has it. Returns the outcome
    /// (pulled, or failed when the cache is required and cannot be trusted), or null with what the store said
    /// (for <c>--explain</c>) when the step is to be built here.
    /// </summary>
    private (StepOutcome? Outcome, string? Note) TryPull(RecipeStep step, StepKind kind, StepKey key, Dictionary<string, StepInput> inputs, string why)
    {
        if (_remote is not { Reads: true } remote || !RemoteSteps.Cacheable(step, kind)) return (null, null);
        var shape = _graph.Shapes[step.Id];
        if (remote.ReaderDown)
        {
            string down = $"{remote.Caches.Reader!.Name} could not be used earlier in this run";
            return remote.Required ? (Fail(step, $"{down} (the step cache is required)", 0, null), null) : (null, $"{down}; not asked again");
        }
        string? folder = null;
        try
        {
            var pulled = remote.Pull(step, kind, key, shape.OutputName, () => folder = PartialFolder.Create(_outputDir, _options.StateName, step.Id));
            if (pulled is null) return (null, $"key not in {remote.Caches.Reader!.Name}");
            var record = Place(step, kind, key, shape, pulled, inputs);
            if (folder is not null) PartialFolder.Remove(folder);
            var outcome = FromRecord(step, StepStatus.Pulled, $"{why}; key {key.Key} found in {remote.Caches.Reader!.Name}") with { Seconds = pulled.Seconds };
            _events.Emit(new RecipeEvent
            {
                Type = "pull", Step = step.Id, Kind = step.Kind, Seconds = pulled.Seconds, Output = outcome.Output, Reason = outcome.Reason,
                Message = $"from {remote.Caches.Reader!.Name} ({RemoteSteps.Mib(pulled.DataBytes)} of data in {pulled.Seconds.ToString("0.00", CultureInfo.InvariantCulture)} s)",
            });
            if (remote.Writes && !remote.Caches.SameStore) remote.Push(step, record, _outputDir, unlessPresent: true);
            return (outcome, null);
        }
        catch (OperationCanceledException) when (_options.Cancellation.IsCancellationRequested)
        {
            Unpull(step, folder);
            return (Fail(step, CancelledReason, 0, null), null);
        }
        catch (StepCacheException e)
        {
            return Unpulled(step, folder, e.Message);
        }
        catch (Exception e) when (e is ImageException or IOException or UnauthorizedAccessException)
        {
            return Unpulled(step, folder, $"{remote.Caches.Reader!.Name}: step '{step.Id}': its entry cannot be used: {Readable(e.Message, null, null, null)}");
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            // A defect in a store or in reading what it served must not fail the run: nothing of it is kept.
            return Unpulled(step, folder, $"{remote.Caches.Reader!.Name}: step '{step.Id}': internal error while pulling: {e.GetType().Name}");
        }
    }

    /// <summary>A pull that went wrong: nothing of it is kept; a warning and a local build, or a failure when required.</summary>
    private (StepOutcome?, string?) Unpulled(RecipeStep step, string? folder, string message)
    {
        Unpull(step, folder);
        if (_remote!.Required)
            return (Fail(step, $"{message} (the step cache is required)", 0, null), null);
        _events.Emit(new RecipeEvent { Type = "warning", Step = step.Id, Kind = step.Kind, Message = $"{message}; building it here" });
        return (null, "the step cache's entry was not used");
    }

    private void Unpull(RecipeStep step, string? folder)
    {
        if (folder is not null) PartialFolder.Remove(folder);
        DropMoving(step.Id);
    }

    /// <summary>
    /// Checks a pulled output as the engine reads it (its format, its files, the backing file it names) and moves
    /// it into place as a built output; records the pulled record with this run's key and fresh stamps.
    /// </summary>
    private StepRecord Place(RecipeStep step, StepKind kind, StepKey key, StepShape shape, PulledStep pulled, Dictionary<string, StepInput> inputs)
    {
        var record = pulled.Entry.Record;
        FileStamp? stamp = null;
        List<OutputFile>? files = null;
        string? format = record.Format;
        long? virtualSize = record.VirtualSize;
        if (pulled.Folder is not null)
        {
            string main = Path.Combine(pulled.Folder, pulled.Names[0]);
            if (shape.Artifact)
            {
                // A file, not an image: its bytes were verified against the entry's hash; one file, its name the step's.
                if (pulled.Names.Count != 1 || pulled.Names[0] != shape.OutputName)
                    throw new StepCacheException($"{_remote!.Caches.Reader!.Name}: step '{step.Id}': its entry holds {string.Join(", ", pulled.Names)}, the step writes the one file '{shape.OutputName}'");
                (format, virtualSize) = (null, null);
            }
            else
                (format, virtualSize) = CheckPulledImage(step, shape, main, pulled);
            (stamp, files) = MoveIntoPlace(step, pulled.Names, main, pulled.Folder, inputs, pulled.Hashes);
        }
        var placed = record with
        {
            Key = key.Key, Kind = kind.Name, Version = kind.Version, ParamsHash = key.ParamsHash,
            Inputs = new Dictionary<string, string>(key.Inputs, StringComparer.Ordinal),
            Output = shape.OutputName, OutputStamp = stamp, Files = files, Format = format, VirtualSize = virtualSize,
        };
        _state.SetStep(step.Id, placed);
        _state.SetMoving(step.Id, null);
        Save();
        return placed;
    }

    /// <summary>The pulled image opens as the format its step writes, consists of the recorded files and names the backing file its step would.</summary>
    private (string Format, long VirtualSize) CheckPulledImage(RecipeStep step, StepShape shape, string main, PulledStep pulled)
    {
        string store = _remote!.Caches.Reader!.Name;
        using var dev = ImageOpener.Open(_engine, main, new OpenOptions { Format = pulled.Entry.Record.Format ?? shape.Format, NoBacking = true, NoIo = true });
        if (shape.Format is not null && dev.FormatName != shape.Format)
            throw new StepCacheException($"{store}: step '{step.Id}': its entry's output is a {dev.FormatName} image, the step writes {shape.Format}");
        var names = dev.HostFileNames.Count > 1 ? ImageFiles.NamesOf(dev, main, shape.OutputName!) : [pulled.Names[0]];
        if (!names.SequenceEqual(pulled.Names, StringComparer.Ordinal))
            throw new StepCacheException($"{store}: step '{step.Id}': its entry's image consists of {string.Join(", ", names)}, its record lists {string.Join(", ", pulled.Names)}");
        string? expected = ExpectedBacking(step, shape);
        if (dev.BackingFilename != expected)
            throw new StepCacheException($"{store}: step '{step.Id}': its entry's image names {(dev.BackingFilename is null ? "no backing file" : $"the backing file '{dev.BackingFilename}'")}, the step's output names {(expected is null ? "none" : $"'{expected}'")}");
        return (dev.FormatName, dev.VirtualSize);
    }

    /// <summary>The backing file name the step's output stores: its backing step's output (an existing image relative to the output directory), or a backing_file option.</summary>
    private string? ExpectedBacking(RecipeStep step, StepShape shape)
    {
        if (shape.BackingStep is { } b && _graph.Shapes[b].OutputName is { } name)
            return Path.IsPathRooted(name) ? Path.GetRelativePath(_outputDir, name) : name;
        return step.Options().FirstOrDefault(o => o.Key == "backing_file").Value;
    }

    /// <summary>Plans a step that must run: "would pull" when the store has its key (only its record is read).</summary>
    private StepOutcome? PlanPull(RecipeStep step, StepKind kind, StepKey key, string why)
    {
        if (_remote is not { Reads: true, ReaderDown: false } remote || !RemoteSteps.Cacheable(step, kind)) return null;
        var shape = _graph.Shapes[step.Id];
        CachedStep? entry;
        try
        {
            entry = remote.Peek(step, kind, key, shape.OutputName);
        }
        catch (StepCacheException e)
        {
            _events.Emit(new RecipeEvent { Type = "warning", Step = step.Id, Kind = step.Kind, Message = $"{e.Message}; the plan assumes it is built here" });
            return null;
        }
        if (entry is null) return null;
        var r = entry.Record;
        return Outcome(step, StepStatus.WouldPull, $"{why}; key {key.Key} found in {remote.Caches.Reader!.Name}") with
        {
            Format = r.Format ?? shape.Format, VirtualSize = r.VirtualSize, Hash = r.OutputStamp?.Hash,
            FileSize = r.Files is { Count: > 1 } files ? files.Sum(f => f.Stamp.Size) : r.OutputStamp?.Size,
            MeasuredFormat = r.MeasuredFormat, MeasuredRequired = r.MeasuredRequired, MeasuredFullyAllocated = r.MeasuredFullyAllocated, Note = r.Note,
        };
    }

    /// <summary>A step up to date here: pushed when the writer lacks it (as BuildKit exports every record it has).</summary>
    private void PushIfMissing(RecipeStep step, StepKind kind)
    {
        if (_remote is not { Writes: true } remote || !RemoteSteps.Cacheable(step, kind)) return;
        if (_state.GetStep(step.Id) is { } record) remote.Push(step, record, _outputDir, unlessPresent: true);
    }

    /// <summary>
    /// The most data runs of one file kept from hashing it for its push (16 bytes each: 16 MiB at most, in 1 MiB
    /// chunks); a file more fragmented than that is scanned again by the push.
    /// </summary>
    private const int MaxPushExtents = 1 << 20;

    /// <summary>Data runs of just-built outputs, by step, from their hashing until their push takes them.</summary>
    private readonly Dictionary<string, IReadOnlyList<ExtentList?>> _builtExtents = new(StringComparer.Ordinal);

    /// <summary>
    /// Content hashes of a just-built output's files. With a store to push to, the runs of non-zero blocks found
    /// while hashing are kept for the push (<see cref="PushBuilt"/>), which then streams the data without scanning.
    /// </summary>
    private List<string> HashBuilt(RecipeStep step, IReadOnlyList<string> paths)
    {
        if (_remote is not { Writes: true })
            return paths.Select(ContentHasher.HashFile).ToList();
        var hashes = new List<string>(paths.Count);
        var extents = new List<ExtentList?>(paths.Count);
        foreach (string path in paths)
        {
            hashes.Add(ContentHasher.HashFile(path, MaxPushExtents, out _, out var runs));
            extents.Add(runs);
        }
        lock (_builtExtents) _builtExtents[step.Id] = extents;
        return hashes;
    }

    /// <summary>A step just built: pushed, with the data runs its hashing found.</summary>
    private void PushBuilt(RecipeStep step, StepKind kind)
    {
        IReadOnlyList<ExtentList?>? extents;
        lock (_builtExtents)
        {
            _builtExtents.Remove(step.Id, out extents);
        }
        if (_remote is not { Writes: true } remote || !RemoteSteps.Cacheable(step, kind)) return;
        if (_state.GetStep(step.Id) is { } record) remote.Push(step, record, _outputDir, unlessPresent: false, extents);
    }

    /// <summary>
    /// Waits for the pushes; with a required cache a failed push fails its step. Returns the finish line's account
    /// of them ("" without a writer).
    /// </summary>
    private string FinishPushes(Dictionary<string, StepOutcome> outcomes)
    {
        if (_remote is not { Writes: true } remote) return "";
        var reports = remote.WaitForPushes();
        foreach (var r in reports.Where(r => r.Failure is not null && remote.Required))
            outcomes[r.StepId] = Fail(_recipe.Find(r.StepId)!, $"{r.Failure} (the step cache is required)", outcomes[r.StepId].Seconds, null);
        int sent = reports.Count(r => r.Sent), failed = reports.Count(r => r.Failure is not null);
        return $", {sent} pushed to {remote.Caches.Writer!.Name}" + (failed > 0 ? $" ({failed} could not be)" : "");
    }
}
