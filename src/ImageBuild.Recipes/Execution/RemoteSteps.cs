using System.Diagnostics;
using System.Globalization;
using ImageBuild.Recipes.Cache;
using ImageBuild.Recipes.Cache.Remote;
using ImageBuild.Recipes.Events;
using ImageBuild.Recipes.Model;
using ImageBuild.Recipes.Schema;

namespace ImageBuild.Recipes.Execution;

/// <summary>
/// The runner's side of a remote step cache: looks a step's key up and fetches and verifies its entry (nothing
/// fetched is trusted until every file's content hash and the output's hash match the record, and the record is
/// this step's: same key, kind and version, same output name), and pushes built and up-to-date steps in the
/// background, so that dependents never wait for an upload; <see cref="WaitForPushes"/> collects them before the
/// run ends. Problems are one-line warnings naming the store and the step (failures with <c>Required</c>).
/// </summary>
internal sealed class RemoteSteps
{
    private readonly StepCaches _caches;
    private readonly EventHub _events;
    private readonly CancellationToken _cancellation;
    private readonly SemaphoreSlim _pushSlots;
    private readonly Lock _gate = new();
    private readonly List<Task<PushReport>> _pushes = [];
    private volatile bool _readerDown, _writerDown;

    public RemoteSteps(StepCaches caches, EventHub events, int pushesAtOnce, CancellationToken cancellation)
    {
        _caches = caches;
        _events = events;
        _cancellation = cancellation;
        _pushSlots = new SemaphoreSlim(Math.Max(1, pushesAtOnce));
    }

    public StepCaches Caches => _caches;

    public bool Reads => _caches.Reader is not null;

    public bool Writes => _caches.Writer is not null;

    public bool Required => _caches.Required;

    /// <summary>The reader could not be used earlier in this run: it is not asked again.</summary>
    public bool ReaderDown => _readerDown;

    /// <summary>
    /// Whether a step's outcome may come from, or go to, a shared store. Not an <c>image</c> step (its file is
    /// the machine's own), and not a step naming a secret: its key covers the secret's identity but not its value,
    /// so another machine's output may be encrypted under another passphrase (and a key must never reveal a value).
    /// </summary>
    public static bool Cacheable(RecipeStep step, StepKind kind) =>
        !kind.External && Secrets.SecretOptions.IdsUsedBy(step).Count == 0;

    /// <summary>
    /// Looks <paramref name="key"/> up and, on a hit, fetches the files into the folder <paramref name="folder"/>
    /// makes and verifies them. Null on a miss; throws <see cref="StepCacheException"/> (one line, naming the store
    /// and the step) when the store fails or its entry is not to be trusted; the caller removes the folder.
    /// </summary>
    public PulledStep? Pull(RecipeStep step, StepKind kind, StepKey key, string? outputName, Func<string> folder)
    {
        var reader = _caches.Reader!;
        var clock = Stopwatch.StartNew();
        var entry = Find(reader, step, key);
        if (entry is null) return null;
        var names = CheckRecord(reader, step, kind, key, outputName, entry.Record);
        if (names.Count == 0)
            return new PulledStep(entry, null, [], [], 0, clock.Elapsed.TotalSeconds);

        string dir = folder();
        IReadOnlyList<FetchedFile>? fetched;
        try
        {
            fetched = reader.Fetch(entry, dir, _cancellation);
        }
        catch (StepCacheException e)
        {
            _readerDown |= e.Unusable;
            throw new StepCacheException($"{reader.Name}: step '{step.Id}': {Trim(e.Message, reader.Name)}", e);
        }
        if (fetched is not null && !fetched.Select(f => f.Name).SequenceEqual(names, StringComparer.Ordinal))
            throw Untrusted(reader, step, $"the store fetched {string.Join(", ", fetched.Select(f => f.Name))}, its record lists {string.Join(", ", names)}");
        var record = entry.Record;
        var expected = record.Files is { Count: > 1 } files ? files.Select(f => f.Stamp.Hash).ToList() : [record.OutputStamp!.Hash];
        var hashes = new List<string>();
        long data = 0;
        for (int i = 0; i < names.Count; i++)
        {
            _cancellation.ThrowIfCancellationRequested();
            string path = Path.Combine(dir, names[i]);
            if (Engine.Host.FileKind.Of(path, followLinks: false) != Engine.Host.FileType.Regular)
                throw Untrusted(reader, step, $"file '{names[i]}' was not downloaded as a regular file");
            // A store that hashed the bytes as it wrote them into our private folder says so: the file is not read
            // again. Otherwise it is hashed here.
            long read = 0;
            string hash = fetched is not null ? fetched[i].Hash : ContentHasher.HashFile(path, out read);
            if (hash != expected[i])
                throw Untrusted(reader, step, $"file '{names[i]}' has content hash {hash}, its record says {expected[i]}");
            hashes.Add(hash);
            data += fetched is not null ? fetched[i].DataBytes : read;
        }
        string whole = OutputHash.Of(names.Zip(hashes).ToList());
        if (whole != record.OutputStamp!.Hash)
            throw Untrusted(reader, step, $"output '{names[0]}' hashes to {whole}, its record says {record.OutputStamp.Hash}");
        return new PulledStep(entry, dir, names, hashes, data, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The entry of a key, for plans (nothing is downloaded but the record); null on a miss or when it is not this step's.</summary>
    public CachedStep? Peek(RecipeStep step, StepKind kind, StepKey key, string? outputName)
    {
        var reader = _caches.Reader!;
        var entry = Find(reader, step, key);
        if (entry is null) return null;
        CheckRecord(reader, step, kind, key, outputName, entry.Record);
        return entry;
    }

    private CachedStep? Find(IStepCache reader, RecipeStep step, StepKey key)
    {
        try
        {
            return reader.Find(key.Key, _cancellation);
        }
        catch (StepCacheException e)
        {
            _readerDown |= e.Unusable;
            throw new StepCacheException($"{reader.Name}: cannot look up step '{step.Id}': {Trim(e.Message, reader.Name)}", e);
        }
    }

    /// <summary>The record must be this step's, under this key, with plain file names; returns the names (main first).</summary>
    private static IReadOnlyList<string> CheckRecord(IStepCache reader, RecipeStep step, StepKind kind, StepKey key, string? outputName, StepRecord record)
    {
        if (record.Key != key.Key)
            throw Untrusted(reader, step, $"its entry holds the record of key {record.Key}, not {key.Key}");
        if (record.Kind != kind.Name || record.Version != kind.Version)
            throw Untrusted(reader, step, $"its entry is a '{record.Kind}' step of version {record.Version}, not '{kind.Name}' version {kind.Version}");
        if (record.Output != outputName)
            throw Untrusted(reader, step, $"its entry's output is {(record.Output is null ? "none" : $"'{record.Output}'")}, not {(outputName is null ? "none" : $"'{outputName}'")}");
        if (outputName is null) return [];
        if (record.OutputStamp is null)
            throw Untrusted(reader, step, "its entry records no hash of its output");
        var names = record.Files is { Count: > 1 } files ? files.Select(f => f.Name).ToList() : [outputName];
        if (names[0] != outputName)
            throw Untrusted(reader, step, $"its entry's first file is '{names[0]}', not its output '{outputName}'");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            if (!IsPlainName(name) || !seen.Add(name))
                throw Untrusted(reader, step, $"its entry names the file '{name}', which is not a plain, visible, distinct file name");
        }
        return names;
    }

    /// <summary>A name a file may have in the output directory: no directory, not hidden, not the run summary.</summary>
    internal static bool IsPlainName(string name) =>
        name.Length is > 0 and <= 255 && name.IndexOfAny(['/', '\\', '\0']) < 0 && !name.StartsWith('.') && name != RecipeRunner.SummaryFileName;

    private static StepCacheException Untrusted(IStepCache reader, RecipeStep step, string what) =>
        new($"{reader.Name}: step '{step.Id}': {what}");

    /// <summary>A store's message without its own name in front (the runner's messages name it once).</summary>
    private static string Trim(string message, string name) =>
        (message.StartsWith(name + ": ", StringComparison.Ordinal) ? message[(name.Length + 2)..] : message).Replace('\n', ' ');

    /// <summary>
    /// Pushes a step's record and files in the background. With <paramref name="unlessPresent"/> (a step up to date
    /// here, or pulled from another store) the writer is asked first and nothing is sent when it has the key.
    /// </summary>
    /// <param name="extents">
    /// Per file (main first), its runs of non-zero blocks when the runner found them while hashing the just-built
    /// output, so the push reads each file once; null (or null entries) where unknown: the store scans the file.
    /// </param>
    public void Push(RecipeStep step, StepRecord record, string outputDir, bool unlessPresent, IReadOnlyList<ExtentList?>? extents = null)
    {
        var writer = _caches.Writer!;
        var names = FilesOf(record);
        var files = names.Select((n, i) => new StepFile(n, Path.Combine(outputDir, n), extents is not null && extents.Count == names.Count ? extents[i] : null)).ToList();
        var sent = ForTransport(record);
        var task = Task.Run(async () =>
        {
            await _pushSlots.WaitAsync(_cancellation).ConfigureAwait(false);
            try
            {
                var clock = Stopwatch.StartNew();
                if (_writerDown)
                    return new PushReport(step.Id, false, $"{writer.Name}: step '{step.Id}' not pushed: the registry could not be used earlier in this run");
                if (unlessPresent && writer.Contains(record.Key, _cancellation))
                    return new PushReport(step.Id, false, null);
                writer.Store(record.Key, sent, files, _cancellation);
                long bytes = record.Files is { Count: > 1 } all ? all.Sum(f => f.Stamp.Size) : record.OutputStamp?.Size ?? 0;
                _events.Emit(new RecipeEvent
                {
                    Type = "push", Step = step.Id, Kind = step.Kind, Seconds = clock.Elapsed.TotalSeconds,
                    Message = $"to {writer.Name} ({Mib(bytes)} of files in {clock.Elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s)",
                });
                return new PushReport(step.Id, true, null);
            }
            catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
            {
                // A defect in the store must not fail the run either: a push is never what a build depends on.
                _writerDown |= e is StepCacheException { Unusable: true };
                string why = e is StepCacheException or IOException or UnauthorizedAccessException ? Trim(e.Message, writer.Name) : $"internal error: {e.GetType().Name}";
                string message = $"{writer.Name}: cannot push step '{step.Id}': {why}";
                if (!_caches.Required)
                    _events.Emit(new RecipeEvent { Type = "warning", Step = step.Id, Kind = step.Kind, Message = message + "; the build goes on without it" });
                return new PushReport(step.Id, false, message);
            }
            finally
            {
                _pushSlots.Release();
            }
        }, CancellationToken.None);
        lock (_gate) _pushes.Add(task);
    }

    /// <summary>Waits for every push started; a push stopped by cancellation reports as not pushed.</summary>
    public IReadOnlyList<PushReport> WaitForPushes()
    {
        List<Task<PushReport>> all;
        lock (_gate) all = _pushes.ToList();
        var reports = new List<PushReport>();
        foreach (var t in all)
        {
            try
            {
                reports.Add(t.GetAwaiter().GetResult());
            }
            catch (OperationCanceledException)
            {
                reports.Add(new PushReport("", false, null));
            }
        }
        return reports;
    }

    /// <summary>The file names a record owns (main first); none for a step without output.</summary>
    internal static IReadOnlyList<string> FilesOf(StepRecord record) =>
        record.Files is { Count: > 1 } files ? files.Select(f => f.Name).ToList()
        : record.Output is { } o ? [o] : [];

    /// <summary>
    /// The record as it travels: modification times are this machine's, so they are left out (0); sizes and
    /// hashes stay. The same step built anywhere sends the same record.
    /// </summary>
    internal static StepRecord ForTransport(StepRecord record) => record with
    {
        OutputStamp = record.OutputStamp is { } s ? s with { MtimeTicks = 0 } : null,
        Files = record.Files?.Select(f => f with { Stamp = f.Stamp with { MtimeTicks = 0 } }).ToList(),
        Inputs = new Dictionary<string, string>(record.Inputs, StringComparer.Ordinal),
    };

    internal static string Mib(long bytes) =>
        (bytes / 1048576.0).ToString(bytes < 10 << 20 ? "0.0" : "0", CultureInfo.InvariantCulture) + " MiB";
}

/// <summary>What became of one push: sent, or not needed (the store had it), or failed with a message.</summary>
internal sealed record PushReport(string StepId, bool Sent, string? Failure);
