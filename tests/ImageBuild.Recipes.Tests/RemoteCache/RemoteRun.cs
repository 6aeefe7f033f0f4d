using ImageBuild.Recipes.Cache.Remote;
using ImageBuild.Recipes.Events;
using ImageBuild.Recipes.Execution;

namespace ImageBuild.Recipes.Tests.RemoteCache;

/// <summary>Runs (or plans) a fixture's recipe into an output directory with given step caches, collecting events.</summary>
internal static class RemoteRun
{
    public static RunResult Run(RecipeFixture f, string outputDir, Func<StepCaches?>? caches, List<RecipeEvent>? events = null, int jobs = 2) =>
        new RecipeRunner(f.Load(), Options(outputDir, caches, events, jobs)).Run();

    public static RunResult Plan(RecipeFixture f, string outputDir, Func<StepCaches?>? caches, List<RecipeEvent>? events = null) =>
        new RecipeRunner(f.Load(), Options(outputDir, caches, events, 2)).Plan();

    /// <summary>Reading and writing the same store (which outlives the run: the runner disposes only what it is given).</summary>
    public static Func<StepCaches?> Both(IStepCache store, bool required = false) =>
        () => new StepCaches(new Borrowed(store), new Borrowed(store), required);

    public static Func<StepCaches?> ReadOnly(IStepCache store, bool required = false) => () => new StepCaches(new Borrowed(store), null, required);

    public static Func<StepCaches?> WriteOnly(IStepCache store, bool required = false) => () => new StepCaches(null, new Borrowed(store), required);

    /// <summary>A store the test owns: the run sees it without its IDisposable.</summary>
    private sealed class Borrowed(IStepCache store) : IStepCache
    {
        public string Name => store.Name;
        public CachedStep? Find(string key, CancellationToken ct) => store.Find(key, ct);
        public IReadOnlyList<FetchedFile>? Fetch(CachedStep entry, string directory, CancellationToken ct) => store.Fetch(entry, directory, ct);
        public void Store(string key, Cache.StepRecord record, IReadOnlyList<StepFile> files, CancellationToken ct) => store.Store(key, record, files, ct);
        public bool Contains(string key, CancellationToken ct) => store.Contains(key, ct);
    }

    private static RunOptions Options(string outputDir, Func<StepCaches?>? caches, List<RecipeEvent>? events, int jobs) => new()
    {
        OutputDir = outputDir, Jobs = jobs, RemoteCaches = caches,
        Sinks = events is null ? [] : [new Sink(events)],
    };

    public static string[] Pulled(this RunResult r) => r.Steps.Where(s => s.Status == StepStatus.Pulled).Select(s => s.Id).ToArray();

    public static string[] Lines(List<RecipeEvent> events, bool explain = false)
    {
        var w = new StringWriter();
        var sink = new PlainTextEventWriter(w, explain);
        lock (events) foreach (var e in events) sink.OnEvent(e);
        return w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private sealed class Sink(List<RecipeEvent> events) : IRecipeEventSink
    {
        public void OnEvent(RecipeEvent e)
        {
            lock (events) events.Add(e);
        }
    }
}
