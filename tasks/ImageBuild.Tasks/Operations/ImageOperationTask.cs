using System.Globalization;
using ImageBuild.Engine;
using ImageBuild.Engine.Block;
using ImageBuild.Recipes.Execution;
using ImageBuild.Recipes.Hosting;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace ImageBuild.Tasks;

/// <summary>
/// A task for one image operation, mapped onto <see cref="ImageOperations.Run"/>: the same content-hash skip as
/// recipe steps (state in StateDirectory/.imagebuild/, by default the output's folder), so a second build with
/// unchanged inputs does nothing and says "up to date". Subclasses name the kind and add its parameters.
/// </summary>
public abstract class ImageOperationTask : ImageBuildTask
{
    /// <summary>Where the operation's record is kept (default: the output's folder, or the input's).</summary>
    public string? StateDirectory { get; set; }

    /// <summary>
    /// The input images are untrusted (<c>--untrusted</c>): they may name as backing or data file only regular files
    /// inside their own directory.
    /// </summary>
    public bool UntrustedImages { get; set; }

    /// <summary>True when the operation was up to date and nothing was done.</summary>
    [Output]
    public bool Skipped { get; private set; }

    /// <summary>The produced image (full path) with metadata Format, VirtualSize, FileSize, ContentHash, Status and
    /// Files (every file of the image, ';'-separated); empty for operations without an output.</summary>
    [Output]
    public ITaskItem? OutputItem { get; private set; }

    /// <summary>The produced image's content hash (xxh128:...), or empty.</summary>
    [Output]
    public string ContentHash { get; private set; } = "";

    /// <summary>The produced image's virtual size in bytes, or 0.</summary>
    [Output]
    public long VirtualSize { get; private set; }

    /// <summary>
    /// The files this operation owns: its output image (every file of it) and its record (.imagebuild/op-NAME.json, lock, summary). Add
    /// them to @(FileWrites) so that Clean removes them: <c>&lt;Output TaskParameter="FileWrites" ItemName="FileWrites" /&gt;</c>.
    /// </summary>
    [Output]
    public ITaskItem[] FileWrites { get; private set; } = [];

    /// <summary>The operation's kind as the host names it (create, convert, compress, ...).</summary>
    protected abstract string Kind { get; }

    /// <summary>Fills the request's kind-specific members; return false after logging a parameter error.</summary>
    protected abstract bool Describe(RequestBuilder request);

    /// <summary>Reads kind-specific outputs (measured sizes...) from the outcome.</summary>
    protected virtual void Report(StepOutcome outcome) { }

    protected sealed override void ExecuteCore()
    {
        var builder = new RequestBuilder();
        if (!Describe(builder) || SecretSources() is not { } secrets) return;
        var request = new OperationRequest
        {
            Kind = builder.Kind ?? Kind,
            Input = FullPath(builder.Input),
            InputFormat = Empty(builder.InputFormat),
            Other = FullPath(builder.Other),
            OtherFormat = Empty(builder.OtherFormat),
            Output = FullPath(builder.Output),
            Parameters = builder.Parameters,
            Options = builder.Options,
            Secrets = secrets,
            StateDirectory = FullPath(StateDirectory),
            UntrustedImages = UntrustedImages,
            BaseDirectory = BaseDirectory,
            Sinks = [new MSBuildEventSink(Log, $"{GetType().Name} {Path.GetFileName(builder.Output ?? builder.Input ?? "")}")],
            Cancellation = Cancellation,
        };
        var result = ImageOperations.Run(request);
        LogDiagnostics(result);
        if (result.Steps.Count == 0) return;
        var outcome = result.Steps[^1];
        var owned = result.StateFiles.ToList();
        if (outcome.OutputPath is not null && outcome.Status is StepStatus.Ran or StepStatus.Skipped && File.Exists(outcome.OutputPath))
            owned.InsertRange(0, outcome.OutputFiles); // every file of the image (a VMDK's extents too)
        FileWrites = [.. owned.Select(f => new TaskItem(f))];
        Skipped = outcome.Status == StepStatus.Skipped;
        if (outcome.OutputPath is not null && outcome.Status is StepStatus.Ran or StepStatus.Skipped)
        {
            var item = new TaskItem(outcome.OutputPath);
            item.SetMetadata("Status", outcome.Status.ToString());
            if (outcome.Format is not null) item.SetMetadata("Format", outcome.Format);
            if (outcome.VirtualSize is { } v) item.SetMetadata("VirtualSize", v.ToString(CultureInfo.InvariantCulture));
            if (outcome.FileSize is { } f) item.SetMetadata("FileSize", f.ToString(CultureInfo.InvariantCulture));
            if (outcome.Hash is not null) item.SetMetadata("ContentHash", outcome.Hash);
            item.SetMetadata("Files", string.Join(";", outcome.OutputFiles));
            OutputItem = item;
            ContentHash = outcome.Hash ?? "";
            VirtualSize = outcome.VirtualSize ?? 0;
        }
        if (outcome.Status is StepStatus.Ran or StepStatus.Skipped)
            Report(outcome);
    }

    protected bool Required(string? value, string name)
    {
        if (!string.IsNullOrWhiteSpace(value)) return true;
        Log.LogError(null, DiagnosticCodes.InvalidOperation, null, null, 0, 0, 0, 0, $"{GetType().Name}: {name} is required");
        return false;
    }

    protected bool BadParameter(string message)
    {
        Log.LogError(null, DiagnosticCodes.InvalidOperation, null, null, 0, 0, 0, 0, $"{GetType().Name}: {message}");
        return false;
    }

    /// <summary>
    /// The format of a new image: the one given, else the one the file's extension names (<c>disk.qcow2</c>: qcow2),
    /// else null (the operation's default); false after logging a given format the extension contradicts.
    /// </summary>
    protected bool NewImageFormat(string output, string? given, out string? format)
    {
        try
        {
            format = FormatRegistry.CreateDefault().FormatForNewImage(FullPath(output)!, string.IsNullOrEmpty(given) ? null : given);
            return true;
        }
        catch (ImageException e)
        {
            format = null;
            return BadParameter(e.Message);
        }
    }

    /// <summary>Adds NAME=VALUE entries as -o options; false after logging a malformed one.</summary>
    protected bool AddOptions(RequestBuilder request, string[]? options)
    {
        string? bad = Variables.ParseOptions(options, request.Options);
        return bad is null || BadParameter($"option '{bad}' is not NAME=VALUE");
    }

    private static string? Empty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    /// <summary>What a subclass fills in: the images involved and the step parameters by their recipe names.</summary>
    protected sealed class RequestBuilder
    {
        public string? Kind { get; set; }
        public string? Input { get; set; }
        public string? InputFormat { get; set; }
        public string? Other { get; set; }
        public string? OtherFormat { get; set; }
        public string? Output { get; set; }
        public Dictionary<string, string> Parameters { get; } = new(StringComparer.Ordinal);
        public List<KeyValuePair<string, string>> Options { get; } = [];

        /// <summary>Sets a parameter when the value is not empty.</summary>
        public void Set(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value)) Parameters[name] = value;
        }

        public void Set(string name, bool value) => Parameters[name] = value ? "true" : "false";
    }
}
