using System.Diagnostics;
using ImageBuild.Engine;
using ImageBuild.Engine.Block;
using ImageBuild.Recipes.Cache;
using ImageBuild.Recipes.Events;
using ImageBuild.Recipes.Host;
using ImageBuild.Recipes.Model;
using ImageBuild.Recipes.Schema;
using ImageBuild.Recipes.Steps;

namespace ImageBuild.Recipes.Execution;

/// <summary>
/// Runs a validated recipe: steps start as soon as the steps they depend on have succeeded (at most Jobs at once);
/// each step is skipped when its key and output match what the output directory recorded, else it runs into a
/// hidden temporary file that is renamed into place only on success, and its record is saved (atomically) after
/// that. A failed step stops its dependents; independent steps go on. The plan mode decides without running.
/// </summary>
public sealed class RecipeRunner
{
    public const string SummaryFileName = "imagebuild-summary.json";
    public const string PartialSuffix = ".partial";

    private readonly Recipe _recipe;
    private readonly RecipeGraph _graph;
    private readonly RunOptions _options;
    private readonly ImageContext _engine;
    private readonly ImageContext _existingImages;
    private readonly EventHub _events;
    private readonly string _outputDir;
    private readonly Lock _saveGate = new();
    private BuildState _state = new();

    public RecipeRunner(Recipe recipe, RunOptions options)
    {
        _recipe = recipe;
        _options = options;
        var errors = new List<RecipeError>();
        _events = new EventHub(options.Sinks);
        // Recipes never open a device, FIFO or socket as an image; the existing images they start from (image
        // steps) are opened under the recipe's untrusted-images setting, which confines what they may name.
        _engine = (options.Engine ?? ImageContext.CreateDefault(
            warning => _events.Emit(new RecipeEvent { Type = "warning", Message = warning.Replace('\n', ' ') })))
            .WithFilePolicy(ImageFilePolicy.RegularFiles);
        _graph = RecipeGraph.Build(recipe, options.Kinds, _engine.Formats, errors) ?? throw new RecipeException(errors);
        _existingImages = recipe.UntrustedImages ? _engine.WithFilePolicy(ImageFilePolicy.Untrusted) : _engine;
        _outputDir = ResolveOutputDir(recipe, options.OutputDir);
    }

    public string OutputDir => _outputDir;

    public static string ResolveOutputDir(Recipe recipe, string? given) =>
        given is not null ? Path.GetFullPath(given)
        : recipe.OutputDir is not null ? Path.GetFullPath(Path.Combine(recipe.Directory, recipe.OutputDir))
        : Path.Combine(recipe.Directory, "out", Path.GetFileNameWithoutExtension(recipe.File));

    /// <summary>What would run and why, without running anything or writing anywhere.</summary>
    public RunResult Plan()
    {
        _state = BuildState.Load(_outputDir, _options.StateName);
        var outcomes = new Dictionary<string, StepOutcome>(StringComparer.Ordinal);
        foreach (var step in _graph.Order)
        {
            var kind = _options.Kinds.Find(step.Kind)!;
            var pending = _graph.Dependencies[step.Id].FirstOrDefault(d => outcomes[d].Status == StepStatus.WouldRun);
            StepOutcome o;
            if (pending is not null)
                o = Outcome(step, StepStatus.WouldRun, $"input step '{pending}' will run");
            else
            {
                var (key, _) = KeyFor(step, kind, outcomes, persistStamps: false);
                string? why = Decide(step, kind, key, touchState: false);
                o = why is null ? FromRecord(step, StepStatus.Skipped, "up to date") : Outcome(step, StepStatus.WouldRun, why);
            }
            outcomes[step.Id] = o;
            _events.Emit(new RecipeEvent
            {
                Type = "plan", Step = step.Id, Kind = step.Kind, Output = o.Output,
                Message = $"{(o.Status == StepStatus.WouldRun ? "run " : "skip")}  {step.Id} ({step.Kind}): {o.Reason}",
            });
        }
        int run = outcomes.Values.Count(o => o.Status == StepStatus.WouldRun);
        _events.Emit(new RecipeEvent { Type = "finish", Message = $"plan: {run} would run, {outcomes.Count - run} up to date ({_outputDir})" });
        return new RunResult(true, _outputDir, _recipe.Steps.Select(s => outcomes[s.Id]).ToList(), null);
    }

    public RunResult Run()
    {
        Directory.CreateDirectory(_outputDir);
        // A single operation shares its directory with others: its summary goes beside its state.
        string summary = _options.OwnsOutputDir
            ? Path.Combine(_outputDir, SummaryFileName)
            : Path.Combine(_outputDir, ".imagebuild", _options.StateName + ".summary.json");
        using var runLock = LockOutputDir(summary);
        _state = BuildState.Load(_outputDir, _options.StateName);
        RemoveLeftovers();
        var clock = Stopwatch.StartNew();
        var outcomes = new Dictionary<string, StepOutcome>(StringComparer.Ordinal);
        var tasks = new Dictionary<string, Task<StepOutcome>>(StringComparer.Ordinal);
        using var slots = new SemaphoreSlim(Math.Max(1, _options.Jobs));
        foreach (var step in _graph.Order)
        {
            var deps = _graph.Dependencies[step.Id].Select(d => tasks[d]).ToArray();
            tasks[step.Id] = Task.Run(async () =>
            {
                var done = await Task.WhenAll(deps).ConfigureAwait(false);
                var failed = done.FirstOrDefault(d => d.Status is StepStatus.Failed or StepStatus.Blocked);
                if (failed is not null)
                {
                    var blocked = Outcome(step, StepStatus.Blocked, $"not run: step '{failed.Id}' {(failed.Status == StepStatus.Failed ? "failed" : "did not run")}");
                    _events.Emit(new RecipeEvent { Type = "blocked", Step = step.Id, Kind = step.Kind, Message = blocked.Reason });
                    return blocked;
                }
                try { await slots.WaitAsync(_options.Cancellation).ConfigureAwait(false); }
                catch (OperationCanceledException)
                {
                    var cancelled = Outcome(step, StepStatus.Blocked, NotRunCancelledReason);
                    _events.Emit(new RecipeEvent { Type = "blocked", Step = step.Id, Kind = step.Kind, Message = cancelled.Reason });
                    return cancelled;
                }
                try
                {
                    var inputs = done.ToDictionary(d => d.Id, StringComparer.Ordinal);
                    // A fresh work item: continuations of one finished dependency would otherwise run its
                    // dependents one after another on the same thread.
                    return await Task.Run(() => Process(step, inputs)).ConfigureAwait(false);
                }
                finally
                {
                    slots.Release();
                }
            });
        }
        Task.WaitAll(tasks.Values.ToArray());
        foreach (var (id, t) in tasks) outcomes[id] = t.Result;
        if (_options.OwnsOutputDir) Prune();
        Save(); // stamps of touched-but-unchanged files, so the next run takes the fast path

        var ordered = _recipe.Steps.Select(s => outcomes[s.Id]).ToList();
        bool ok = ordered.All(o => o.Status is StepStatus.Ran or StepStatus.Skipped);
        RunSummary.Write(summary, _recipe, ordered, ok);
        int ran = ordered.Count(o => o.Status == StepStatus.Ran), skipped = ordered.Count(o => o.Status == StepStatus.Skipped);
        int failedCount = ordered.Count(o => o.Status == StepStatus.Failed), blockedCount = ordered.Count(o => o.Status == StepStatus.Blocked);
        _events.Emit(new RecipeEvent
        {
            Type = "finish", Seconds = clock.Elapsed.TotalSeconds, Output = summary,
            Message = $"{(ok ? "ok" : "FAILED")}: {ran} ran, {skipped} up to date, {failedCount} failed, {blockedCount} not run ({clock.Elapsed.TotalSeconds:0.00} s); summary: {summary}",
        });
        return new RunResult(ok, _outputDir, ordered, summary);
    }

    private StepOutcome Process(RecipeStep step, IReadOnlyDictionary<string, StepOutcome> deps)
    {
        var kind = _options.Kinds.Find(step.Kind)!;
        StepKey key;
        Dictionary<string, StepInput> inputs;
        string? why;
        try
        {
            (key, inputs) = KeyFor(step, kind, deps, persistStamps: true);
            why = Decide(step, kind, key, touchState: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ImageException)
        {
            return Fail(step, $"cannot read inputs: {e.Message}", 0, null);
        }
        if (why is null)
        {
            var skipped = FromRecord(step, StepStatus.Skipped, $"up to date (key {key.Key})");
            _events.Emit(new RecipeEvent { Type = "skip", Step = step.Id, Kind = step.Kind, Message = skipped.Reason, Output = skipped.Output });
            return skipped;
        }
        _events.Emit(new RecipeEvent { Type = "start", Step = step.Id, Kind = step.Kind, Message = why });
        return Execute(step, kind, key, inputs, why);
    }

    private StepOutcome Execute(RecipeStep step, StepKind kind, StepKey key, Dictionary<string, StepInput> inputs, string why)
    {
        if (kind.External)
            return RecordExternal(step, kind, key, inputs, why);
        var shape = _graph.Shapes[step.Id];
        string? final = shape.OutputName is null ? null : Path.Combine(_outputDir, shape.OutputName);
        string? partial = shape.OutputName is null ? null : Path.Combine(_outputDir, "." + shape.OutputName + PartialSuffix);
        var executor = _options.ExecutorFor(step.Kind);
        var clock = Stopwatch.StartNew();
        int lastPercent = -1;
        var context = new StepContext
        {
            Step = step, Recipe = _recipe, Engine = _engine.WithIdentity(IdentityFor(key)), OutputDir = _outputDir, Inputs = inputs,
            PartialPath = partial, OutputFormat = shape.Format,
            Progress = p =>
            {
                // Long engine operations report progress often: the place where a cancelled run stops them.
                _options.Cancellation.ThrowIfCancellationRequested();
                int whole = (int)p;
                if (whole == lastPercent) return;
                lastPercent = whole;
                _events.Emit(new RecipeEvent { Type = "progress", Step = step.Id, Kind = step.Kind, Percent = whole });
            },
        };
        StepResult result;
        try
        {
            if (executor is null)
                throw new StepFailedException($"kind '{step.Kind}' has no engine operation yet");
            if (partial is not null) DeleteQuietly(partial);
            result = executor.Execute(context);
            if (result.Failure is not null)
            {
                CleanScratch(step, partial);
                return Fail(step, result.Failure, clock.Elapsed.TotalSeconds, result);
            }
        }
        catch (Exception e) when (e is ImageException or StepFailedException or IOException or UnauthorizedAccessException)
        {
            CleanScratch(step, partial);
            if (_options.Cancellation.IsCancellationRequested)
                return Fail(step, CancelledReason, clock.Elapsed.TotalSeconds, null);
            return Fail(step, Readable(e.Message, partial, final), clock.Elapsed.TotalSeconds, null);
        }
        catch (OperationCanceledException) when (_options.Cancellation.IsCancellationRequested)
        {
            CleanScratch(step, partial);
            return Fail(step, CancelledReason, clock.Elapsed.TotalSeconds, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // An engine defect must fail this step, not the process: the other steps and the state stay sound.
            CleanScratch(step, partial);
            return Fail(step, $"internal error in the engine: {e.GetType().Name}: {Readable(e.Message, partial, final)}", clock.Elapsed.TotalSeconds, null);
        }
        CleanScratch(step);

        string? hash = null;
        FileStamp? stamp = null;
        long? virtualSize = null;
        string? format = shape.Format;
        try
        {
            if (partial is not null && final is not null)
            {
                // The format is known statically except below an existing image (commit into its backing file).
                using (var dev = ImageOpener.Open(_engine, partial, new OpenOptions { Format = shape.Format, NoBacking = true, NoIo = true }))
                {
                    (virtualSize, format) = (dev.VirtualSize, dev.FormatName);
                    // outputs are renamed, hashed and pruned as one file: an output that names other files (a data
                    // file given in the step's options) would leave them unrecorded
                    if (dev.HostFileNames.Count > 1)
                        throw new ImageException($"the output names other files ({string.Join(", ", dev.HostFileNames.Skip(1).Select(n => $"'{n}'"))}); a step's output must be a single file");
                }
                hash = ContentHasher.HashFile(partial);
                File.Move(partial, final, overwrite: true);
                var seen = FileStamp.Observe(final) ?? throw new IOException($"'{final}' vanished after rename");
                stamp = new FileStamp(seen.Size, seen.MtimeTicks, hash);
            }
        }
        catch (Exception e) when (e is ImageException or IOException or UnauthorizedAccessException)
        {
            if (partial is not null) DeleteQuietly(partial);
            return Fail(step, $"cannot record output: {e.Message}", clock.Elapsed.TotalSeconds, null);
        }

        var record = new StepRecord
        {
            Key = key.Key, Kind = kind.Name, Version = kind.Version, ParamsHash = key.ParamsHash,
            Inputs = new Dictionary<string, string>(key.Inputs, StringComparer.Ordinal),
            Output = shape.OutputName, OutputStamp = stamp, Format = format, VirtualSize = virtualSize,
            MeasuredFormat = result.MeasuredFormat, MeasuredRequired = result.MeasuredRequired,
            MeasuredFullyAllocated = result.MeasuredFullyAllocated, Note = result.Note,
        };
        _state.SetStep(step.Id, record);
        Save();
        var outcome = FromRecord(step, StepStatus.Ran, why) with { Seconds = clock.Elapsed.TotalSeconds };
        _events.Emit(new RecipeEvent
        {
            Type = "done", Step = step.Id, Kind = step.Kind, Seconds = outcome.Seconds, Output = outcome.Output, Message = result.Note,
        });
        return outcome;
    }

    /// <summary>
    /// Identifiers and timestamps of the images a step writes (VDI/VHD/VHDX UUIDs, VMDK CIDs, mtimes): derived from the
    /// step's key, which covers everything that makes its output what it is, so a rerun or another machine writes the
    /// same bytes and two different outputs never share a UUID. Timestamps are fixed at the Unix epoch.
    /// </summary>
    internal static IdentitySource IdentityFor(StepKey key) => IdentitySource.Reproducible(key.Key, DateTimeOffset.UnixEpoch);

    /// <summary>The step's key from its parameters and its inputs' content hashes (repository files via their stamps).</summary>
    private (StepKey, Dictionary<string, StepInput>) KeyFor(RecipeStep step, StepKind kind, IReadOnlyDictionary<string, StepOutcome> deps, bool persistStamps)
    {
        var inputs = new Dictionary<string, StepInput>(StringComparer.Ordinal);
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var param in RecipeGraph.ImageRefParams)
        {
            if (step.Text(param) is not { } id) continue;
            var dep = deps[id];
            inputs[param] = new StepInput(Path.Combine(_outputDir, dep.Output!), dep.Output!, dep.Format!);
            // An overlay's content is its chain's: the hashes of the steps below it are part of the input.
            var chain = RecipeGraph.BackingChain(_graph.Shapes, id).Select(b => $" <- {deps[b].Output}:{deps[b].Hash ?? "unknown"}");
            hashes[param] = $"{dep.Output}:{dep.Format}:{dep.Hash ?? "unknown"}{string.Concat(chain)}";
        }
        if (kind.External)
        {
            hashes["file"] = ExternalImage.ChainHash(ExistingImages(step), _graph.Shapes[step.Id].OutputName!, step.Text("format"), _state, persistStamps);
            return (StepKey.Compute(step, kind, _graph.Shapes[step.Id].OutputName, hashes), inputs);
        }
        foreach (string name in kind.Environment)
            hashes["env " + name] = System.Environment.GetEnvironmentVariable(name) ?? "";
        foreach (var param in new[] { "file", "image-file" })
        {
            if (step.Text(param) is not { } rel) continue;
            string full = _recipe.ResolveFile(rel);
            var stamp = FileStamp.Current(full, _state.GetFile(full), out _)
                ?? throw new IOException($"{param} '{rel}' does not exist ({full})");
            if (persistStamps) _state.SetFile(full, stamp);
            hashes[param] = stamp.Hash;
        }
        return (StepKey.Compute(step, kind, _graph.Shapes[step.Id].OutputName, hashes), inputs);
    }

    /// <summary>Null when the step is up to date; otherwise why it must run.</summary>
    private string? Decide(RecipeStep step, StepKind kind, StepKey key, bool touchState)
    {
        var record = _state.GetStep(step.Id);
        string? why = key.Difference(record, kind);
        if (why is not null || record is null) return why;
        if (record.Output is null || kind.External) return null; // an image step's key already covers its file
        string path = Path.Combine(_outputDir, record.Output);
        var seen = FileStamp.Observe(path);
        if (seen is null) return $"output '{record.Output}' is missing";
        if (record.OutputStamp is null) return $"output '{record.Output}' was never recorded";
        if (record.OutputStamp.Matches(seen.Value)) return null;
        // Touched or changed: only the content decides.
        string hash = ContentHasher.HashFile(path);
        if (hash != record.OutputStamp.Hash) return $"output '{record.Output}' was modified since it was built";
        if (touchState)
        {
            _state.SetStep(step.Id, record with { OutputStamp = new FileStamp(seen.Value.Size, seen.Value.MtimeTicks, hash) });
            Save();
        }
        return null;
    }

    private StepOutcome Fail(RecipeStep step, string message, double seconds, StepResult? result)
    {
        _events.Emit(new RecipeEvent
        {
            Type = "fail", Step = step.Id, Kind = step.Kind, Message = message, Seconds = seconds,
            File = _recipe.File, Line = step.Mark.Line, Column = step.Mark.Column,
        });
        return Outcome(step, StepStatus.Failed, message) with
        {
            Seconds = seconds, MeasuredFormat = result?.MeasuredFormat, MeasuredRequired = result?.MeasuredRequired,
            MeasuredFullyAllocated = result?.MeasuredFullyAllocated,
        };
    }

    private StepOutcome Outcome(RecipeStep step, StepStatus status, string reason)
    {
        var shape = _graph.Shapes[step.Id];
        return new StepOutcome
        {
            Id = step.Id, Kind = step.Kind, From = step.Text("from"), Status = status, Reason = reason, Output = shape.OutputName, Format = shape.Format,
            OutputPath = shape.OutputName is null ? null : Path.Combine(_outputDir, shape.OutputName),
        };
    }

    private StepOutcome FromRecord(RecipeStep step, StepStatus status, string reason)
    {
        var r = _state.GetStep(step.Id);
        return Outcome(step, status, reason) with
        {
            Format = r?.Format ?? _graph.Shapes[step.Id].Format, VirtualSize = r?.VirtualSize, FileSize = r?.OutputStamp?.Size,
            Hash = r?.OutputStamp?.Hash, MeasuredFormat = r?.MeasuredFormat, MeasuredRequired = r?.MeasuredRequired,
            MeasuredFullyAllocated = r?.MeasuredFullyAllocated, Note = r?.Note,
        };
    }

    private void Save()
    {
        lock (_saveGate) _state.Save(_outputDir, _options.StateName);
    }

    /// <summary>The reason of a step stopped by cancellation (its temporary output is deleted before it is reported).</summary>
    public const string CancelledReason = "cancelled; its partial output was deleted";

    /// <summary>The reason of a step that never started because the run was cancelled.</summary>
    public const string NotRunCancelledReason = "not run: the run was cancelled";

    /// <summary>An image step: nothing to write; its format, size and chain hash are recorded for the steps that read it.</summary>
    private StepOutcome RecordExternal(RecipeStep step, StepKind kind, StepKey key, Dictionary<string, StepInput> inputs, string why)
    {
        string path = _graph.Shapes[step.Id].OutputName!;
        string format;
        long size;
        try
        {
            using var dev = ImageOpener.Open(ExistingImages(step), path, new OpenOptions { Format = step.Text("format"), NoBacking = true, NoIo = true, ForceShare = true });
            (format, size) = (dev.FormatName, dev.VirtualSize);
        }
        catch (ImageException e)
        {
            return Fail(step, e.Message, 0, null);
        }
        var seen = FileStamp.Observe(path);
        string chainHash = key.Inputs["file"];
        _state.SetStep(step.Id, new StepRecord
        {
            Key = key.Key, Kind = kind.Name, Version = kind.Version, ParamsHash = key.ParamsHash,
            Inputs = new Dictionary<string, string>(key.Inputs, StringComparer.Ordinal),
            Output = path, OutputStamp = seen is { } v ? new FileStamp(v.Size, v.MtimeTicks, chainHash) : null,
            Format = format, VirtualSize = size,
        });
        Save();
        var outcome = FromRecord(step, StepStatus.Ran, why);
        _events.Emit(new RecipeEvent { Type = "done", Step = step.Id, Kind = step.Kind, Seconds = 0, Output = path });
        return outcome;
    }

    /// <summary>The engine an image step opens its existing image with: untrusted for the recipe or for the step.</summary>
    private ImageContext ExistingImages(RecipeStep step) =>
        step.Get("untrusted") is BoolValue { Value: true } ? _engine.WithFilePolicy(ImageFilePolicy.Untrusted) : _existingImages;

    /// <summary>The lock file of the runs keeping state <paramref name="stateName"/> in <paramref name="outputDir"/>.</summary>
    private static string LockPath(string outputDir, string stateName) =>
        Path.Combine(outputDir, ".imagebuild", stateName == BuildState.DefaultName ? "lock" : stateName + ".lock");

    /// <summary>
    /// The bookkeeping files a run with <paramref name="stateName"/> keeps in <paramref name="outputDir"/> (its state
    /// and its lock; the summary is reported apart), for hosts that must list what a build owns.
    /// </summary>
    public static IReadOnlyList<string> StateFiles(string outputDir, string stateName) =>
        [BuildState.PathIn(outputDir, stateName), LockPath(outputDir, stateName)];

    /// <summary>
    /// One run per output directory at a time: a second one would race on the same files and state. The lock, the
    /// state and the summary are checked before any step runs: a link in their place is refused, never followed.
    /// </summary>
    private FileStream LockOutputDir(string summary)
    {
        string path = LockPath(_outputDir, _options.StateName);
        FileStream stream;
        try
        {
            stream = StateFile.OpenLock(path);
        }
        catch (IOException e) when (!e.Message.StartsWith("refusing", StringComparison.Ordinal))
        {
            throw new OutputDirBusyException(_outputDir, e);
        }
        try
        {
            StateFile.RefuseNonRegular(BuildState.PathIn(_outputDir, _options.StateName));
            StateFile.RefuseNonRegular(summary);
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Steps no longer in the recipe: their records are dropped and their outputs deleted (unless a current step
    /// writes the same file), so an output directory does not grow with every renamed or removed step.
    /// </summary>
    private void Prune()
    {
        var current = _recipe.Steps.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        var currentOutputs = _graph.Shapes.Values.Select(s => s.OutputName).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var (id, record) in _state.Steps.ToList())
        {
            if (current.Contains(id)) continue;
            _state.SetStep(id, null);
            if (record.Output is { } name && !currentOutputs.Contains(name) && !name.Contains('/') && !name.StartsWith('.'))
            {
                DeleteQuietly(Path.Combine(_outputDir, name));
                _events.Emit(new RecipeEvent { Type = "prune", Step = id, Kind = record.Kind, Output = name, Message = $"removed '{name}' of step '{id}', which the recipe no longer has" });
            }
        }
        foreach (var path in _state.Files.Keys.ToList())
            if (!File.Exists(path)) _state.Files.Remove(path);
    }

    /// <summary>Temporary files of an interrupted run: never trusted, removed before anything runs.</summary>
    private void RemoveLeftovers()
    {
        if (_options.OwnsOutputDir)
        {
            foreach (var f in Directory.EnumerateFiles(_outputDir, "." + "*" + PartialSuffix))
                DeleteQuietly(f);
            foreach (var d in Directory.EnumerateDirectories(_outputDir, "." + "*" + PartialSuffix))
                DeleteTreeQuietly(d);
        }
        else
        {
            // Others may be writing in this directory: only this recipe's own temporary files are ours to remove.
            foreach (var step in _recipe.Steps)
            {
                CleanScratch(step);
                if (_graph.Shapes[step.Id].OutputName is { } name && !Path.IsPathRooted(name))
                    DeleteQuietly(Path.Combine(_outputDir, "." + name + PartialSuffix));
            }
        }
        string stateDir = Path.Combine(_outputDir, ".imagebuild");
        if (Directory.Exists(stateDir))
            foreach (var f in Directory.EnumerateFiles(stateDir, _options.StateName + ".json.*.tmp"))
                DeleteQuietly(f);
    }

    private void CleanScratch(RecipeStep step, string? partial = null)
    {
        foreach (var f in Directory.EnumerateFiles(_outputDir, $".{step.Id}~*{PartialSuffix}"))
            DeleteQuietly(f);
        foreach (var d in Directory.EnumerateDirectories(_outputDir, $".{step.Id}~*{PartialSuffix}"))
            DeleteTreeQuietly(d);
        if (partial is not null) DeleteQuietly(partial);
    }

    private static void DeleteQuietly(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static void DeleteTreeQuietly(string path)
    {
        try { Directory.Delete(path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>One line, naming the output the user knows rather than its hidden temporary file.</summary>
    private static string Readable(string message, string? partial, string? final)
    {
        message = message.Replace('\n', ' ');
        return partial is null || final is null ? message : message.Replace(partial, final, StringComparison.Ordinal);
    }
}
