using System.Diagnostics;
using ImageBuild.Engine;
using ImageBuild.Engine.Block;
using ImageBuild.Recipes.Cache;
using ImageBuild.Recipes.Events;
using ImageBuild.Recipes.Host;
using ImageBuild.Recipes.Model;
using ImageBuild.Recipes.Schema;
using ImageBuild.Recipes.Secrets;
using ImageBuild.Recipes.Steps;

namespace ImageBuild.Recipes.Execution;

/// <summary>
/// Runs a validated recipe: steps start as soon as the steps they depend on have succeeded (at most Jobs at once);
/// each step is skipped when its key and output match what the output directory recorded, else it runs into a
/// hidden temporary file that is renamed into place only on success, and its record is saved (atomically) after
/// that. A failed step stops its dependents; independent steps go on. The plan mode decides without running.
/// </summary>
public sealed partial class RecipeRunner
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
    /// <summary>Held while an output's names are checked and its files moved in: two steps never claim one name.</summary>
    private readonly Lock _moveGate = new();
    /// <summary>The file names each step moved in during this run (locked on itself).</summary>
    private readonly Dictionary<string, IReadOnlyList<string>> _movedIn = new(StringComparer.Ordinal);
    private BuildState _state = new();
    private readonly TreeScans _trees = new();
    /// <summary>The recipe's secrets, read when a run starts (a plan reads none).</summary>
    private StepSecrets _secrets = StepSecrets.None;
    /// <summary>The remote step cache of this run or plan, when one is set (see RecipeRunner.Remote.cs).</summary>
    private RemoteSteps? _remote;

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
        using var caches = OpenCaches();
        _remote = caches is null ? null : new RemoteSteps(caches, _events, _options.Jobs, _options.Cancellation);
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
                o = why is null ? FromRecord(step, StepStatus.Skipped, "up to date")
                    : PlanPull(step, kind, key, why) ?? Outcome(step, StepStatus.WouldRun, why);
            }
            outcomes[step.Id] = o;
            _events.Emit(new RecipeEvent
            {
                Type = "plan", Step = step.Id, Kind = step.Kind, Output = o.Output,
                Message = $"{o.Status switch { StepStatus.WouldRun => "run ", StepStatus.WouldPull => "pull", _ => "skip" }}  {step.Id} ({step.Kind}): {o.Reason}" +
                          (Platforms.PlatformPlan.Describe(_recipe, _graph, step, _engine) is { } writes ? $"; writes a {writes}" : ""),
            });
        }
        int run = outcomes.Values.Count(o => o.Status == StepStatus.WouldRun), pull = outcomes.Values.Count(o => o.Status == StepStatus.WouldPull);
        string pulls = _remote is { Reads: true } ? $", {pull} would pull from {_remote.Caches.Reader!.Name}" : "";
        _events.Emit(new RecipeEvent { Type = "finish", Message = $"plan: {run} would run{pulls}, {outcomes.Count - run - pull} up to date ({_outputDir})" });
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
        _secrets = StepSecrets.Resolve(_recipe);
        _state = BuildState.Load(_outputDir, _options.StateName);
        RemoveLeftovers();
        var clock = Stopwatch.StartNew();
        using var caches = OpenCaches();
        _remote = caches is null ? null : new RemoteSteps(caches, _events, _options.Jobs, _options.Cancellation);
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
        var pushes = FinishPushes(outcomes);
        PartialFolder.Remove(PartialFolder.OfState(_outputDir, _options.StateName)); // each step emptied its own
        if (_options.OwnsOutputDir) Prune();
        Save(); // stamps of touched-but-unchanged files, so the next run takes the fast path

        var ordered = _recipe.Steps.Select(s => outcomes[s.Id]).ToList();
        bool ok = ordered.All(o => o.Status is StepStatus.Ran or StepStatus.Skipped or StepStatus.Pulled);
        RunSummary.Write(summary, _recipe, ordered, ok);
        int ran = ordered.Count(o => o.Status == StepStatus.Ran), skipped = ordered.Count(o => o.Status == StepStatus.Skipped);
        int pulled = ordered.Count(o => o.Status == StepStatus.Pulled);
        int failedCount = ordered.Count(o => o.Status == StepStatus.Failed), blockedCount = ordered.Count(o => o.Status == StepStatus.Blocked);
        _events.Emit(new RecipeEvent
        {
            Type = "finish", Seconds = clock.Elapsed.TotalSeconds, Output = summary,
            Message = $"{(ok ? "ok" : "FAILED")}: {ran} ran, {(_remote is { Reads: true } ? $"{pulled} pulled, " : "")}{skipped} up to date, {failedCount} failed, {blockedCount} not run{pushes} ({clock.Elapsed.TotalSeconds:0.00} s); summary: {summary}",
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
            PushIfMissing(step, kind);
            return skipped;
        }
        var (pulled, miss) = TryPull(step, kind, key, inputs, why);
        if (pulled is not null) return pulled;
        _events.Emit(new RecipeEvent { Type = "start", Step = step.Id, Kind = step.Kind, Message = miss is null ? why : $"{why}; {miss}" });
        var outcome = Execute(step, kind, key, inputs, why);
        if (outcome.Status == StepStatus.Ran) PushBuilt(step, kind);
        return outcome;
    }

    private StepOutcome Execute(RecipeStep step, StepKind kind, StepKey key, Dictionary<string, StepInput> inputs, string why)
    {
        if (kind.External)
            return RecordExternal(step, kind, key, inputs, why);
        var shape = _graph.Shapes[step.Id];
        string? final = shape.OutputName is null ? null : Path.Combine(_outputDir, shape.OutputName);
        string? folder = null, partial = null;
        var executor = _options.ExecutorFor(step.Kind);
        var clock = Stopwatch.StartNew();
        try
        {
            // The step's private folder (final names, for images of several files), or beside the final name when
            // the output names another image relatively (see OutputPlacement).
            if (final is not null && executor is not null)
            {
                // An artifact is one plain file: written beside its final name, never opened as an image.
                folder = !shape.Artifact && OutputPlacement.InPrivateFolder(step, inputs, _engine)
                    ? PartialFolder.Create(_outputDir, _options.StateName, step.Id) : null;
                partial = folder is not null ? Path.Combine(folder, shape.OutputName!) : Path.Combine(_outputDir, "." + shape.OutputName + PartialSuffix);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(step, $"cannot prepare the output: {e.Message}", 0, null);
        }
        int lastPercent = -1;
        ImageContext engine;
        try
        {
            engine = _secrets.EngineFor(step, key, _engine, IdentityFor(key));
        }
        catch (StepFailedException e)
        {
            CleanScratch(step, partial);
            return Fail(step, e.Message, 0, null);
        }
        var context = new StepContext
        {
            Step = step, Recipe = _recipe, Engine = engine, OutputDir = _outputDir, Inputs = inputs,
            PartialPath = partial, OutputFormat = shape.Format, Cancellation = _options.Cancellation, Trees = _trees,
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
            return Fail(step, Readable(e.Message, partial, final, folder), clock.Elapsed.TotalSeconds, null);
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
            return Fail(step, $"internal error in the engine: {e.GetType().Name}: {Readable(e.Message, partial, final, folder)}", clock.Elapsed.TotalSeconds, null);
        }
        CleanScratch(step);

        FileStamp? stamp = null;
        List<OutputFile>? files = null;
        long? virtualSize = null;
        string? format = shape.Format;
        try
        {
            if (partial is not null && final is not null)
            {
                IReadOnlyList<string> names;
                if (shape.Artifact)
                {
                    if (!File.Exists(partial)) throw new IOException("the step wrote no output");
                    names = [shape.OutputName!];
                }
                else
                // The format is known statically except below an existing image (commit into its backing file).
                using (var dev = ImageOpener.Open(_engine, partial, new OpenOptions { Format = shape.Format, NoBacking = true, NoIo = true }))
                {
                    (virtualSize, format) = (dev.VirtualSize, dev.FormatName);
                    if (folder is not null)
                        names = ImageFiles.NamesOf(dev, partial, shape.OutputName!);
                    else if (dev.HostFileNames.Count > 1)
                        throw new ImageException($"the output names other files ({string.Join(", ", dev.HostFileNames.Skip(1).Select(n => $"'{n}'"))}); an output that names another image by a relative name (an overlay, a copy of one) must be a single file");
                    else
                        names = [shape.OutputName!];
                }
                (stamp, files) = MoveIntoPlace(step, names, partial, folder ?? _outputDir, inputs);
            }
        }
        catch (Exception e) when (e is ImageException or IOException or UnauthorizedAccessException)
        {
            CleanScratch(step, partial);
            DropMoving(step.Id);
            return Fail(step, $"cannot record output: {Readable(e.Message, partial, final, folder)}", clock.Elapsed.TotalSeconds, null);
        }
        if (folder is not null) PartialFolder.Remove(folder);

        var record = new StepRecord
        {
            Key = key.Key, Kind = kind.Name, Version = kind.Version, ParamsHash = key.ParamsHash,
            Inputs = new Dictionary<string, string>(key.Inputs, StringComparer.Ordinal),
            Output = shape.OutputName, OutputStamp = stamp, Files = files, Format = format, VirtualSize = virtualSize,
            MeasuredFormat = result.MeasuredFormat, MeasuredRequired = result.MeasuredRequired,
            MeasuredFullyAllocated = result.MeasuredFullyAllocated, Note = result.Note,
        };
        _state.SetStep(step.Id, record);
        _state.SetMoving(step.Id, null);
        Save();
        var outcome = FromRecord(step, StepStatus.Ran, why) with { Seconds = clock.Elapsed.TotalSeconds };
        _events.Emit(new RecipeEvent
        {
            Type = "done", Step = step.Id, Kind = step.Kind, Seconds = outcome.Seconds, Output = outcome.Output, Message = result.Note,
        });
        return outcome;
    }

    /// <summary>
    /// Moves a finished output from where the step wrote it into the output directory and returns the stamps to
    /// record. One file: hashed and renamed over the old output, as ever. Several files (or an old output of several):
    /// the step's record is dropped and the names being replaced are journalled in the state first; the old main
    /// file goes, then the new files move in, the main file last (its appearance is the commit point: no main file
    /// ever names a half-moved set), then old files the new output no longer has go. A run that dies in between
    /// leaves a journal the next run acts on (<see cref="RemoveLeftovers"/>).
    /// </summary>
    private (FileStamp Stamp, List<OutputFile>? Files) MoveIntoPlace(RecipeStep step, IReadOnlyList<string> names, string partial, string sourceDir,
        IReadOnlyDictionary<string, StepInput> inputs, IReadOnlyList<string>? knownHashes = null)
    {
        var sources = names.Select((n, i) => i == 0 ? partial : Path.Combine(sourceDir, n)).ToList();
        // Pulled files were hashed when they were verified, in this same folder: not read twice. Built files are
        // hashed here, noting their data runs for a push (so it reads them once more, not twice).
        var hashes = knownHashes?.ToList() ?? HashBuilt(step, sources);
        string hash = OutputHash.Of(names.Zip(hashes).ToList());
        var inputFiles = new HashSet<string>(StringComparer.Ordinal);
        if (names.Count > 1)
        {
            // An existing image read in place from this directory (a single operation's input) is not replaced either.
            foreach (var input in inputs.Values)
            {
                using var dev = ImageOpener.Open(_engine, input.Path, new OpenOptions { Format = input.Format, NoBacking = true, NoIo = true, ForceShare = true });
                foreach (string file in dev.HostFileNames)
                    if (Path.GetDirectoryName(Path.GetFullPath(file)) == _outputDir) inputFiles.Add(Path.GetFileName(file));
            }
        }
        lock (_moveGate)
        {
            var taken = OthersOutputs(step.Id);
            taken.UnionWith(inputFiles);
            foreach (string name in names.Skip(1))
                if (taken.Contains(name) || name == SummaryFileName)
                    throw new ImageException($"its file '{name}' is another step's output or input (or the run summary); an image's files must not share names with other images");
            lock (_movedIn) _movedIn[step.Id] = names;

            var old = _state.GetStep(step.Id);
            var oldNames = old is null ? new List<string>() : RecordedNames(old).ToList();
            bool whole = names.Count > 1 || oldNames.Count > 1;
            if (whole)
            {
                _state.SetStep(step.Id, null);
                _state.SetMoving(step.Id, oldNames.Concat(names).Distinct(StringComparer.Ordinal).ToList());
                Save();
                foreach (string main in new[] { names[0] }.Concat(oldNames.Take(1)))
                    DeleteQuietly(Path.Combine(_outputDir, main));
            }
            for (int i = names.Count - 1; i >= 0; i--)
                File.Move(sources[i], Path.Combine(_outputDir, names[i]), overwrite: true);
            foreach (string stale in oldNames.Except(names, StringComparer.Ordinal))
                if (!taken.Contains(stale)) DeleteQuietly(Path.Combine(_outputDir, stale));
        }

        var stamps = new List<FileStamp>();
        for (int i = 0; i < names.Count; i++)
        {
            string path = Path.Combine(_outputDir, names[i]);
            var seen = FileStamp.Observe(path) ?? throw new IOException($"'{path}' vanished after rename");
            stamps.Add(new FileStamp(seen.Size, seen.MtimeTicks, hashes[i]));
        }
        var stamp = stamps[0] with { Hash = hash };
        return (stamp, names.Count > 1 ? names.Select((n, i) => new OutputFile(n, stamps[i])).ToList() : null);
    }

    /// <summary>The file names a record owns in the output directory: its main file, then its other files.</summary>
    private static IEnumerable<string> RecordedNames(StepRecord record) =>
        (record.Files is { Count: > 0 } files ? files.Select(f => f.Name) : record.Output is { } o ? [o] : [])
            .Where(n => !n.Contains('/') && !n.StartsWith('.') && !Path.IsPathRooted(n));

    /// <summary>Names other steps own: what the recipe's other steps write and what other records hold.</summary>
    private HashSet<string> OthersOutputs(string? except)
    {
        var names = _state.OutputNamesExcept(except);
        foreach (var (id, shape) in _graph.Shapes)
            if (id != except && shape.OutputName is { } o) names.Add(o);
        lock (_movedIn)
            foreach (var (id, moved) in _movedIn)
                if (id != except) names.UnionWith(moved);
        return names;
    }

    /// <summary>Deletes the files a step was moving into place when it (or an earlier run) stopped, and forgets them.</summary>
    private void DropMoving(string id)
    {
        var moving = _state.MovingSnapshot().FirstOrDefault(m => m.Key == id).Value;
        if (moving is null) return;
        var taken = OthersOutputs(id);
        foreach (string name in moving)
            if (!taken.Contains(name) && !name.Contains('/') && !name.StartsWith('.'))
                DeleteQuietly(Path.Combine(_outputDir, name));
        _state.SetMoving(id, null);
        Save();
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
        foreach (var (input, _, reference) in RecipeGraph.Inputs(step))
        {
            string id = reference.Value;
            var dep = deps[id];
            bool artifact = _graph.Shapes[id].Artifact;
            inputs[input] = new StepInput(Path.Combine(_outputDir, dep.Output!), dep.Output!, dep.Format ?? "") { Artifact = artifact };
            // An overlay's content is its chain's: the hashes of the steps below it are part of the input.
            var chain = RecipeGraph.BackingChain(_graph.Shapes, id).Select(b => $" <- {KeyName(deps[b].Output!)}:{deps[b].Hash ?? "unknown"}");
            hashes[input] = $"{KeyName(dep.Output!)}:{(artifact ? "artifact" : dep.Format)}:{dep.Hash ?? "unknown"}{string.Concat(chain)}";
        }
        if (kind.External)
        {
            hashes["file"] = ExternalImage.ChainHash(ExistingImages(step), _graph.Shapes[step.Id].OutputName!, step.Text("format"), _state, persistStamps);
            return (StepKey.Compute(step, kind, _graph.Shapes[step.Id].OutputName, hashes), inputs);
        }
        foreach (string name in kind.Environment)
            hashes["env " + name] = System.Environment.GetEnvironmentVariable(name) ?? "";
        // A secret by what it is (id and source), never by its value.
        foreach (string id in Secrets.SecretOptions.IdsUsedBy(step))
            hashes["secret " + id] = StepSecrets.IdentityHash(_recipe, id);
        foreach (var (input, fields, _) in TreeInput.Folders(kind.Params, step.AsMap()))
            hashes[input] = TreeInput.Hash(_trees, _recipe, fields, _state, persistStamps);
        foreach (var param in kind.Params.Where(p => p.Type == ParamType.RepoFile).Select(p => p.Name))
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

    /// <summary>
    /// How a key names an input image: a step's output by its file name; an existing image (an <c>image</c> step,
    /// held by absolute path) relative to the output directory, the name an overlay over it stores. Never an
    /// absolute path: keys must be the same on every machine whose checkout and output directory lie alike.
    /// </summary>
    private string KeyName(string output) => Path.IsPathRooted(output) ? Path.GetRelativePath(_outputDir, output) : output;

    /// <summary>Null when the step is up to date; otherwise why it must run.</summary>
    private string? Decide(RecipeStep step, StepKind kind, StepKey key, bool touchState)
    {
        var record = _state.GetStep(step.Id);
        string? why = key.Difference(record, kind);
        if (why is not null || record is null) return why;
        if (record.Output is null || kind.External) return null; // an image step's key already covers its file
        if (record.Files is { Count: > 1 } files) return DecideFiles(step, record, files, touchState);
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

    /// <summary>An output of several files: up to date when every file's stamp matches, else when their hashes still make its hash.</summary>
    private string? DecideFiles(RecipeStep step, StepRecord record, List<OutputFile> files, bool touchState)
    {
        bool same = true;
        foreach (var f in files)
        {
            var seen = FileStamp.Observe(Path.Combine(_outputDir, f.Name));
            if (seen is null) return f.Name == record.Output ? $"output '{record.Output}' is missing" : $"file '{f.Name}' of output '{record.Output}' is missing";
            same &= f.Stamp.Matches(seen.Value);
        }
        if (same) return null;
        // Touched or changed: only the content decides.
        var fresh = files.Select(f => FileStamp.Current(Path.Combine(_outputDir, f.Name), f.Stamp, out _)
            ?? throw new IOException($"'{f.Name}' vanished while it was hashed")).ToList();
        string hash = OutputHash.Of(files.Select((f, i) => (f.Name, fresh[i].Hash)).ToList());
        if (hash != record.OutputStamp?.Hash)
        {
            int changed = Enumerable.Range(0, files.Count).FirstOrDefault(i => fresh[i].Hash != files[i].Stamp.Hash);
            return changed == 0 ? $"output '{record.Output}' was modified since it was built"
                : $"file '{files[changed].Name}' of output '{record.Output}' was modified since it was built";
        }
        if (touchState)
        {
            _state.SetStep(step.Id, record with
            {
                Files = files.Select((f, i) => f with { Stamp = fresh[i] }).ToList(),
                OutputStamp = fresh[0] with { Hash = hash },
            });
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
            OutputFiles = shape.OutputName is null ? [] : [Path.Combine(_outputDir, shape.OutputName)],
            Artifact = shape.Artifact,
        };
    }

    private StepOutcome FromRecord(RecipeStep step, StepStatus status, string reason)
    {
        var r = _state.GetStep(step.Id);
        var outcome = Outcome(step, status, reason);
        return outcome with
        {
            Format = r?.Format ?? _graph.Shapes[step.Id].Format, VirtualSize = r?.VirtualSize,
            FileSize = r?.Files is { Count: > 1 } files ? files.Sum(f => f.Stamp.Size) : r?.OutputStamp?.Size,
            Hash = r?.OutputStamp?.Hash, MeasuredFormat = r?.MeasuredFormat, MeasuredRequired = r?.MeasuredRequired,
            MeasuredFullyAllocated = r?.MeasuredFullyAllocated, Note = r?.Note,
            OutputFiles = r?.Files is { Count: > 1 } all ? all.Select(f => Path.Combine(_outputDir, f.Name)).ToList() : outcome.OutputFiles,
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
        var claimed = _graph.Shapes.Values.Select(s => s.OutputName).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var (id, record) in _state.Steps.ToList())
            if (current.Contains(id)) claimed.UnionWith(RecordedNames(record));
        foreach (var (id, record) in _state.Steps.ToList())
        {
            if (current.Contains(id)) continue;
            _state.SetStep(id, null);
            // Every file of the output: an image of several files goes as a whole.
            var names = RecordedNames(record).Where(n => !claimed.Contains(n)).ToList();
            if (names.Count == 0) continue;
            foreach (string name in names) DeleteQuietly(Path.Combine(_outputDir, name));
            string what = names.Count == 1 ? $"'{names[0]}'" : $"'{names[0]}' and its {names.Count - 1} other file(s) ({string.Join(", ", names.Skip(1).Select(n => $"'{n}'"))})";
            _events.Emit(new RecipeEvent { Type = "prune", Step = id, Kind = record.Kind, Output = names[0], Message = $"removed {what} of step '{id}', which the recipe no longer has" });
        }
        foreach (var path in _state.Files.Keys.ToList())
            if (!File.Exists(path)) _state.Files.Remove(path);
        _state.PruneRemoteDigests();
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
        PartialFolder.Remove(PartialFolder.OfState(_outputDir, _options.StateName));
        // Outputs an earlier run was moving into place when it died: neither old nor new, so neither is kept.
        foreach (var (id, _) in _state.MovingSnapshot())
            DropMoving(id);
    }

    /// <summary>Removes a step's scratch files; with <paramref name="partial"/>, its unfinished output too (and its private folder).</summary>
    private void CleanScratch(RecipeStep step, string? partial = null)
    {
        foreach (var f in Directory.EnumerateFiles(_outputDir, $".{step.Id}~*{PartialSuffix}"))
            DeleteQuietly(f);
        foreach (var d in Directory.EnumerateDirectories(_outputDir, $".{step.Id}~*{PartialSuffix}"))
            DeleteTreeQuietly(d);
        if (partial is null) return;
        DeleteQuietly(partial);
        PartialFolder.Remove(PartialFolder.OfStep(_outputDir, _options.StateName, step.Id));
    }

    private static void DeleteQuietly(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static void DeleteTreeQuietly(string path)
    {
        try { Directory.Delete(path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>One line, naming the output the user knows rather than its temporary file or private folder.</summary>
    private string Readable(string message, string? partial, string? final, string? folder)
    {
        message = message.Replace('\n', ' ');
        if (partial is null || final is null) return message;
        message = message.Replace(partial, final, StringComparison.Ordinal);
        return folder is null ? message : message.Replace(folder + Path.DirectorySeparatorChar, _outputDir + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }
}
