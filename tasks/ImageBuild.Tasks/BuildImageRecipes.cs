using System.Globalization;
using ImageBuild.Recipes.Cache.Remote;
using ImageBuild.Recipes.Execution;
using ImageBuild.Recipes.Hosting;
using ImageBuild.Recipes.Schema;
using ImageBuild.Tasks.RemoteCache;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace ImageBuild.Tasks;

/// <summary>
/// Runs image recipes (the targets pass @(ImageRecipe)) through <see cref="RecipeHost"/>: every step whose inputs
/// changed runs, the rest are reported up to date. No image logic here: parameters in, host result out.
/// </summary>
public sealed class BuildImageRecipes : ImageBuildTask
{
    /// <summary>The recipe files. Metadata: OutputDir (wins over <see cref="OutputRoot"/>), Variables
    /// ("name=value;..." added to and overriding <see cref="Variables"/>), Jobs.</summary>
    [Required]
    public ITaskItem[] Recipes { get; set; } = [];

    /// <summary>Each recipe without OutputDir metadata builds into OutputRoot/RECIPE-FILE-NAME/. Empty: the
    /// recipe's own output-dir, else out/RECIPE-FILE-NAME beside the recipe (where the command line builds it).</summary>
    public string? OutputRoot { get; set; }

    /// <summary>Variables for every recipe, "name=value;name=value" (the command line's --set).</summary>
    public string? Variables { get; set; }

    /// <summary>At most this many steps at once (per recipe); 0: the number of processors.</summary>
    public int Jobs { get; set; }

    /// <summary>
    /// Treat the recipe's existing images as untrusted (<c>--untrusted</c>, the recipe's <c>untrusted-images: true</c>):
    /// they may name as backing or data file only regular files inside their own directory.
    /// </summary>
    public bool UntrustedImages { get; set; }

    /// <summary>The registry repository steps are looked up in and pushed to, oci://HOST[:PORT]/REPO (<c>--cache</c>).</summary>
    public string? Cache { get; set; }

    /// <summary>Where steps are looked up (<c>--cache-from</c>); wins over <see cref="Cache"/> for lookups.</summary>
    public string? CacheFrom { get; set; }

    /// <summary>Where built steps are pushed (<c>--cache-to</c>); wins over <see cref="Cache"/> for pushes.</summary>
    public string? CacheTo { get; set; }

    /// <summary>A registry that cannot be reached, refuses a push or serves something untrusted fails the build
    /// (<c>--cache-required</c>); without it that is a warning and the step is built locally.</summary>
    public bool CacheRequired { get; set; }

    /// <summary>Plain HTTP to the registry (<c>--plain-http</c>): loopback registries only.</summary>
    public bool RegistryPlainHttp { get; set; }

    /// <summary>A PEM file of certificate authorities trusted besides the system's (<c>--ca-file</c>), relative to the project.</summary>
    public string? RegistryCaFile { get; set; }

    /// <summary>A credentials file in Docker's config.json or Podman's auth.json form (<c>--registry-config</c>),
    /// relative to the project; read before the usual places. Credentials are never logged.</summary>
    public string? RegistryConfig { get; set; }

    /// <summary>What runs a recipe (the host; tests observe the request here).</summary>
    internal Func<RecipeRunRequest, HostResult> Host { get; set; } = RecipeHost.Run;

    /// <summary>Each image or artifact (OVA, box, tarball, checksum list, archive) a step produced or found up to date:
    /// the full path, with metadata Recipe, StepId, Kind, Status (Ran, Skipped or Pulled), Type (Image or Artifact),
    /// Format and VirtualSize (images), FileSize (of all its files), ContentHash, Files (every file of
    /// the image, the item's own first, ';'-separated: an image of several files, such as a VMDK descriptor and its
    /// extents, is one item), and RequiredSize, FullyAllocatedSize, MeasuredFormat when a measure step reports them
    /// for this image.</summary>
    [Output]
    public ITaskItem[] Images { get; private set; } = [];

    /// <summary>Each measure step: the step id, with metadata Recipe, Format (MeasuredFormat), RequiredSize,
    /// FullyAllocatedSize.</summary>
    [Output]
    public ITaskItem[] Measurements { get; private set; } = [];

    /// <summary>Every file the runs own (every file of each image, summaries, state), for @(FileWrites) so Clean removes them.</summary>
    [Output]
    public ITaskItem[] FileWrites { get; private set; } = [];

    protected override void ExecuteCore()
    {
        if (SecretSources() is not { } secrets) return;
        var cache = CacheParameters().ToSettings(BaseDirectory, out string? cacheError);
        if (cacheError is not null)
        {
            Log.LogError(null, DiagnosticCodes.InvalidOperation, null, null, 0, 0, 0, 0, cacheError);
            return;
        }
        var images = new List<ITaskItem>();
        var measurements = new List<ITaskItem>();
        var writes = new List<ITaskItem>();
        foreach (var recipe in Recipes)
        {
            Cancellation.ThrowIfCancellationRequested();
            RunOne(recipe, secrets, cache, images, measurements, writes);
        }
        Images = [.. images];
        Measurements = [.. measurements];
        FileWrites = [.. writes];
    }

    private StepCacheParameters CacheParameters() => new()
    {
        Cache = Cache,
        CacheFrom = CacheFrom,
        CacheTo = CacheTo,
        CacheRequired = CacheRequired,
        RegistryPlainHttp = RegistryPlainHttp,
        RegistryCaFile = RegistryCaFile,
        RegistryConfig = RegistryConfig,
    };

    private void RunOne(ITaskItem recipe, IReadOnlyList<ImageBuild.Recipes.Model.RecipeSecret> secrets,
        StepCacheSettings? cache, List<ITaskItem> images, List<ITaskItem> measurements, List<ITaskItem> writes)
    {
        string recipePath = Path.GetFullPath(recipe.ItemSpec, BaseDirectory);
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        string? bad = Tasks.Variables.ParseInto(Variables, variables) ?? Tasks.Variables.ParseInto(recipe.GetMetadata("Variables"), variables);
        if (bad is not null)
        {
            Log.LogError(null, DiagnosticCodes.InvalidOperation, null, recipePath, 0, 0, 0, 0,
                $"variable '{bad}' is not NAME=VALUE (write Variables=\"size=64M;format=qcow2\")");
            return;
        }
        int? jobs = Jobs > 0 ? Jobs : null;
        string jobsText = recipe.GetMetadata("Jobs");
        if (jobsText.Length > 0)
        {
            if (!int.TryParse(jobsText, NumberStyles.None, CultureInfo.InvariantCulture, out int j) || j < 1)
            {
                Log.LogError(null, DiagnosticCodes.InvalidOperation, null, recipePath, 0, 0, 0, 0, $"Jobs '{jobsText}' is not a positive number");
                return;
            }
            jobs = j;
        }

        var result = Host(new RecipeRunRequest
        {
            RecipePath = recipePath,
            OutputDir = OutputDirFor(recipe, recipePath),
            Variables = variables,
            Secrets = secrets,
            Jobs = jobs,
            UntrustedImages = UntrustedImages,
            Cache = cache,
            Sinks = [new MSBuildEventSink(Log, Path.GetFileName(recipePath))],
            Cancellation = Cancellation,
            BaseDirectory = BaseDirectory,
        });
        LogDiagnostics(result);
        Collect(recipePath, result, images, measurements, writes);
    }

    private string? OutputDirFor(ITaskItem recipe, string recipePath)
    {
        string explicitDir = recipe.GetMetadata("OutputDir");
        if (explicitDir.Length > 0) return Path.GetFullPath(explicitDir, BaseDirectory);
        if (string.IsNullOrEmpty(OutputRoot)) return null;
        return Path.Combine(Path.GetFullPath(OutputRoot, BaseDirectory), Path.GetFileNameWithoutExtension(recipePath));
    }

    /// <summary>Items for the images and measurements, and the files the run owns, also after a failed run (what
    /// did get built is still there and still the project's).</summary>
    internal static void Collect(string recipePath, HostResult result,
        List<ITaskItem> images, List<ITaskItem> measurements, List<ITaskItem> writes)
    {
        var byStep = new Dictionary<string, TaskItem>(StringComparer.Ordinal);
        foreach (var s in result.Steps)
        {
            bool current = s.Status is StepStatus.Ran or StepStatus.Skipped or StepStatus.Pulled;
            // External steps (kind image) name files the project already has: not the build's, never cleaned.
            bool produced = StepKinds.Default.Find(s.Kind) is { ProducesOutput: true };
            if (current && produced && s.OutputPath is not null && File.Exists(s.OutputPath))
            {
                var item = new TaskItem(s.OutputPath);
                item.SetMetadata("Recipe", recipePath);
                item.SetMetadata("StepId", s.Id);
                item.SetMetadata("Kind", s.Kind);
                item.SetMetadata("Status", s.Status.ToString());
                item.SetMetadata("Type", s.Artifact ? "Artifact" : "Image");
                Set(item, "Format", s.Format);
                Set(item, "VirtualSize", s.VirtualSize);
                Set(item, "FileSize", s.FileSize);
                Set(item, "ContentHash", s.Hash);
                item.SetMetadata("Files", string.Join(";", s.OutputFiles));
                byStep[s.Id] = item;
                images.Add(item);
                writes.AddRange(s.OutputFiles.Select(f => new TaskItem(f)));
            }
            if (s.MeasuredRequired is not null)
            {
                var m = new TaskItem(s.Id);
                m.SetMetadata("Recipe", recipePath);
                m.SetMetadata("Status", s.Status.ToString());
                Set(m, "Format", s.MeasuredFormat);
                Set(m, "RequiredSize", s.MeasuredRequired);
                Set(m, "FullyAllocatedSize", s.MeasuredFullyAllocated);
                if (s.From is { } from && byStep.TryGetValue(from, out var image))
                {
                    m.SetMetadata("Image", image.ItemSpec);
                    Set(image, "MeasuredFormat", s.MeasuredFormat);
                    Set(image, "RequiredSize", s.MeasuredRequired);
                    Set(image, "FullyAllocatedSize", s.MeasuredFullyAllocated);
                }
                measurements.Add(m);
            }
        }
        writes.AddRange(result.StateFiles.Select(f => new TaskItem(f)));
    }

    private static void Set(TaskItem item, string name, string? value)
    {
        if (value is not null) item.SetMetadata(name, value);
    }

    private static void Set(TaskItem item, string name, long? value)
    {
        if (value is not null) item.SetMetadata(name, value.Value.ToString(CultureInfo.InvariantCulture));
    }
}
