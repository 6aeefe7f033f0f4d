using Cake.Core;
using Cake.Core.Annotations;
using Cake.Core.IO;
using Cake.ImageBuild.Hosting;
using ImageBuild.Engine;
using ImageBuild.Engine.Block;
using ImageBuild.Recipes.Hosting;

namespace Cake.ImageBuild;

public static partial class ImageBuildAliases
{
    /// <summary>Creates a blank image (as <c>qemu-img create</c>) in the format its extension names, else raw.</summary>
    /// <example><code>ImageBuildCreate("out/base.raw", "64M");</code></example>
    /// <param name="context">The context.</param>
    /// <param name="output">The image to create.</param>
    /// <param name="size">Virtual size with qemu's suffixes (<c>64M</c>, <c>1.5G</c>).</param>
    /// <returns>The operation's outcome.</returns>
    [CakeMethodAlias]
    public static ImageBuildStepResult ImageBuildCreate(this ICakeContext context, FilePath output, string size) =>
        ImageBuildCreate(context, output, size, new ImageBuildCreateSettings());

    /// <summary>Creates a blank image (as <c>qemu-img create -f FORMAT -o OPTIONS</c>).</summary>
    /// <example><code>ImageBuildCreate("out/base.qcow2", "1G", new ImageBuildCreateSettings { Format = "qcow2" }.WithOption("cluster_size", "65536"));</code></example>
    /// <param name="context">The context.</param>
    /// <param name="output">The image to create.</param>
    /// <param name="size">Virtual size with qemu's suffixes.</param>
    /// <param name="settings">The settings.</param>
    /// <returns>The operation's outcome.</returns>
    /// <exception cref="CakeException">The parameters are invalid or the image could not be written.</exception>
    [CakeMethodAlias]
    public static ImageBuildStepResult ImageBuildCreate(this ICakeContext context, FilePath output, string size, ImageBuildCreateSettings settings)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentException.ThrowIfNullOrEmpty(size);
        ArgumentNullException.ThrowIfNull(settings);
        string what = $"ImageBuildCreate '{output.FullPath}'";
        return RunOperation(context, "create", what, settings, input: null, output: output,
            parameters: new() { ["format"] = NewImageFormat(context, what, output, settings.Format) ?? "raw", ["size"] = size }, options: settings.Options);
    }

    /// <summary>
    /// Converts an image to the format the output's extension names (<c>disk.qcow2</c>: qcow2), else to raw (as
    /// <c>qemu-img convert</c>, whose default output format is raw).
    /// </summary>
    /// <param name="context">The context.</param>
    /// <param name="input">The image to read.</param>
    /// <param name="output">The image to write.</param>
    /// <returns>The operation's outcome.</returns>
    [CakeMethodAlias]
    public static ImageBuildStepResult ImageBuildConvert(this ICakeContext context, FilePath input, FilePath output) =>
        ImageBuildConvert(context, input, output, new ImageBuildConvertSettings());

    /// <summary>Converts an image to another format, optionally compressed (as <c>qemu-img convert [-c] -O FORMAT</c>).</summary>
    /// <example><code>ImageBuildConvert("out/disk.raw", "out/disk.qcow2", new ImageBuildConvertSettings { Format = "qcow2", Compression = ImageBuildCompression.Zstd });</code></example>
    /// <param name="context">The context.</param>
    /// <param name="input">The image to read.</param>
    /// <param name="output">The image to write.</param>
    /// <param name="settings">The settings.</param>
    /// <returns>The operation's outcome.</returns>
    /// <exception cref="CakeException">Compression asked for a format other than qcow2, or the conversion failed.</exception>
    [CakeMethodAlias]
    public static ImageBuildStepResult ImageBuildConvert(this ICakeContext context, FilePath input, FilePath output, ImageBuildConvertSettings settings)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(settings);
        string what = $"ImageBuildConvert '{input.FullPath}' -> '{output.FullPath}'";
        if (settings.Compression == ImageBuildCompression.None)
            return RunOperation(context, "convert", what, settings, input, output,
                parameters: new() { ["format"] = NewImageFormat(context, what, output, settings.Format) ?? "raw" }, options: settings.Options);
        var parameters = new Dictionary<string, string> { ["type"] = settings.Compression == ImageBuildCompression.Zstd ? "zstd" : "zlib" };
        if (NewImageFormat(context, what, output, settings.Format) is { } format)
            parameters["format"] = format; // the recipe host refuses a format that cannot store compressed data
        return RunOperation(context, "compress", what, settings, input, output, parameters: parameters, options: settings.Options);
    }

    /// <summary>
    /// Commits an overlay into a copy of its backing image (as <c>qemu-img commit -d</c>, on copies): the output is the
    /// backing image with the overlay's data in it; overlay and backing file are left untouched.
    /// </summary>
    /// <example><code>ImageBuildCommit("out/overlay.qcow2", "out/merged.raw");</code></example>
    /// <param name="context">The context.</param>
    /// <param name="overlay">The overlay whose data is committed.</param>
    /// <param name="output">The committed image.</param>
    /// <returns>The operation's outcome.</returns>
    [CakeMethodAlias]
    public static ImageBuildStepResult ImageBuildCommit(this ICakeContext context, FilePath overlay, FilePath output) =>
        ImageBuildCommit(context, overlay, output, new ImageBuildCommitSettings());

    /// <summary>Commits an overlay into a copy of its backing image.</summary>
    /// <param name="context">The context.</param>
    /// <param name="overlay">The overlay whose data is committed.</param>
    /// <param name="output">The committed image.</param>
    /// <param name="settings">The settings.</param>
    /// <returns>The operation's outcome.</returns>
    [CakeMethodAlias]
    public static ImageBuildStepResult ImageBuildCommit(this ICakeContext context, FilePath overlay, FilePath output, ImageBuildCommitSettings settings)
    {
        ArgumentNullException.ThrowIfNull(overlay);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(settings);
        return RunOperation(context, "commit", $"ImageBuildCommit '{overlay.FullPath}' -> '{output.FullPath}'", settings, overlay, output, parameters: []);
    }

    /// <summary>
    /// Writes a copy of an image with a new backing file, or flattened when <see cref="ImageBuildRebaseSettings.Backing"/>
    /// is null (as <c>qemu-img rebase</c>, on a copy).
    /// </summary>
    /// <example><code>ImageBuildRebase("out/app.qcow2", "out/app-flat.qcow2", new ImageBuildRebaseSettings());</code></example>
    /// <param name="context">The context.</param>
    /// <param name="input">The image to rebase.</param>
    /// <param name="output">The rebased copy.</param>
    /// <param name="settings">The settings: new backing image, its format, unsafe mode.</param>
    /// <returns>The operation's outcome.</returns>
    [CakeMethodAlias]
    public static ImageBuildStepResult ImageBuildRebase(this ICakeContext context, FilePath input, FilePath output, ImageBuildRebaseSettings settings)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(settings);
        return RunOperation(context, "rebase", $"ImageBuildRebase '{input.FullPath}' -> '{output.FullPath}'", settings, input, output,
            parameters: new() { ["unsafe"] = Bool(settings.Unsafe) }, other: settings.Backing, otherFormat: settings.BackingFormat);
    }

    /// <summary>Writes a resized copy of an image (as <c>qemu-img resize</c>, on a copy).</summary>
    /// <example><code>ImageBuildResize("out/disk.raw", "out/disk-big.raw", "+16M");</code></example>
    /// <param name="context">The context.</param>
    /// <param name="input">The image to resize.</param>
    /// <param name="output">The resized copy.</param>
    /// <param name="size">New size (<c>SIZE</c>) or a change (<c>+SIZE</c>, <c>-SIZE</c>).</param>
    /// <returns>The operation's outcome.</returns>
    [CakeMethodAlias]
    public static ImageBuildStepResult ImageBuildResize(this ICakeContext context, FilePath input, FilePath output, string size) =>
        ImageBuildResize(context, input, output, size, new ImageBuildResizeSettings());

    /// <summary>Writes a resized copy of an image, with shrinking or preallocation.</summary>
    /// <param name="context">The context.</param>
    /// <param name="input">The image to resize.</param>
    /// <param name="output">The resized copy.</param>
    /// <param name="size">New size (<c>SIZE</c>) or a change (<c>+SIZE</c>, <c>-SIZE</c>).</param>
    /// <param name="settings">The settings.</param>
    /// <returns>The operation's outcome.</returns>
    [CakeMethodAlias]
    public static ImageBuildStepResult ImageBuildResize(this ICakeContext context, FilePath input, FilePath output, string size, ImageBuildResizeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentException.ThrowIfNullOrEmpty(size);
        ArgumentNullException.ThrowIfNull(settings);
        var parameters = new Dictionary<string, string> { ["size"] = size, ["shrink"] = Bool(settings.Shrink) };
        if (settings.Preallocation is not null) parameters["preallocation"] = settings.Preallocation;
        return RunOperation(context, "resize", $"ImageBuildResize '{input.FullPath}' -> '{output.FullPath}'", settings, input, output, parameters);
    }

    /// <summary>Measures the sizes an image needs in its own format (as <c>qemu-img measure</c>).</summary>
    /// <example><code>var m = ImageBuildMeasure("out/disk.raw"); Information("required: {0}", m.Required);</code></example>
    /// <param name="context">The context.</param>
    /// <param name="input">The image to measure.</param>
    /// <returns>The required and fully-allocated sizes.</returns>
    [CakeMethodAlias]
    public static ImageBuildMeasureResult ImageBuildMeasure(this ICakeContext context, FilePath input) =>
        ImageBuildMeasure(context, input, new ImageBuildMeasureSettings());

    /// <summary>Measures the sizes an image needs in a format, failing above optional limits (as <c>qemu-img measure -O FORMAT</c>).</summary>
    /// <example><code>ImageBuildMeasure("out/disk.raw", new ImageBuildMeasureSettings { Format = "qcow2", MaxRequired = "80M" });</code></example>
    /// <param name="context">The context.</param>
    /// <param name="input">The image to measure.</param>
    /// <param name="settings">The settings.</param>
    /// <returns>The required and fully-allocated sizes.</returns>
    /// <exception cref="CakeException">A size is above its limit, or the image could not be read.</exception>
    [CakeMethodAlias]
    public static ImageBuildMeasureResult ImageBuildMeasure(this ICakeContext context, FilePath input, ImageBuildMeasureSettings settings)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(settings);
        var parameters = new Dictionary<string, string>();
        if (settings.Format is not null) parameters["format"] = settings.Format;
        if (settings.MaxRequired is not null) parameters["max-required"] = settings.MaxRequired;
        if (settings.MaxFullyAllocated is not null) parameters["max-fully-allocated"] = settings.MaxFullyAllocated;
        string what = $"ImageBuildMeasure '{input.FullPath}'";
        var step = RunOperation(context, "measure", what, settings, input, output: null, parameters, settings.Options);
        if (step.MeasuredRequired is not { } required || step.MeasuredFullyAllocated is not { } full)
            throw new CakeException($"{what}: the operation reported no sizes");
        return new ImageBuildMeasureResult(step, step.MeasuredFormat ?? settings.Format ?? "", required, full);
    }

    /// <summary>Checks an image for corruption (as <c>qemu-img check</c>); leaks are accepted.</summary>
    /// <example><code>ImageBuildCheck("out/disk.qcow2");</code></example>
    /// <param name="context">The context.</param>
    /// <param name="input">The image to check.</param>
    /// <returns>The operation's outcome (<see cref="ImageBuildStepResult.Note"/> has the findings).</returns>
    [CakeMethodAlias]
    public static ImageBuildStepResult ImageBuildCheck(this ICakeContext context, FilePath input) =>
        ImageBuildCheck(context, input, new ImageBuildCheckSettings());

    /// <summary>Checks an image for corruption (and, unless allowed, leaks).</summary>
    /// <param name="context">The context.</param>
    /// <param name="input">The image to check.</param>
    /// <param name="settings">The settings.</param>
    /// <returns>The operation's outcome.</returns>
    /// <exception cref="CakeException">The image is corrupt (or leaks, when leaks are not allowed).</exception>
    [CakeMethodAlias]
    public static ImageBuildStepResult ImageBuildCheck(this ICakeContext context, FilePath input, ImageBuildCheckSettings settings)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(settings);
        return RunOperation(context, "check", $"ImageBuildCheck '{input.FullPath}'", settings, input, output: null,
            parameters: new() { ["allow-leaks"] = Bool(settings.AllowLeaks) });
    }

    /// <summary>Compares the guest contents of two images (as <c>qemu-img compare</c>); differing images fail the task.</summary>
    /// <example><code>ImageBuildCompare("out/disk.raw", "out/disk.qcow2");</code></example>
    /// <param name="context">The context.</param>
    /// <param name="first">The first image.</param>
    /// <param name="second">The second image.</param>
    /// <returns>The operation's outcome.</returns>
    [CakeMethodAlias]
    public static ImageBuildStepResult ImageBuildCompare(this ICakeContext context, FilePath first, FilePath second) =>
        ImageBuildCompare(context, first, second, new ImageBuildCompareSettings());

    /// <summary>Compares the guest contents of two images, optionally in strict mode; differing images fail the task.</summary>
    /// <param name="context">The context.</param>
    /// <param name="first">The first image.</param>
    /// <param name="second">The second image.</param>
    /// <param name="settings">The settings.</param>
    /// <returns>The operation's outcome.</returns>
    /// <exception cref="CakeException">The images differ (the message says where), or one could not be read.</exception>
    [CakeMethodAlias]
    public static ImageBuildStepResult ImageBuildCompare(this ICakeContext context, FilePath first, FilePath second, ImageBuildCompareSettings settings)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        ArgumentNullException.ThrowIfNull(settings);
        return RunOperation(context, "compare", $"ImageBuildCompare '{first.FullPath}' '{second.FullPath}'", settings, first, output: null,
            parameters: new() { ["strict"] = Bool(settings.Strict) }, other: second, otherFormat: settings.SecondFormat);
    }

    private static ImageBuildStepResult RunOperation(
        ICakeContext context, string kind, string what, ImageBuildOperationSettings settings,
        FilePath? input, FilePath? output, Dictionary<string, string> parameters,
        IDictionary<string, string>? options = null, FilePath? other = null, string? otherFormat = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = new OperationRequest
        {
            Kind = kind,
            Input = input is null ? null : HostCall.Absolute(context, input),
            InputFormat = settings.InputFormat,
            Other = other is null ? null : HostCall.Absolute(context, other),
            OtherFormat = otherFormat,
            Output = output is null ? null : HostCall.Absolute(context, output),
            Parameters = parameters,
            Options = options is null ? [] : options.ToList(),
            Secrets = HostCall.Secrets(context, what, settings.Secrets),
            StateDirectory = settings.StateDirectory is null ? null : HostCall.Absolute(context, settings.StateDirectory),
            UntrustedImages = settings.UntrustedImages,
            BaseDirectory = context.Environment.WorkingDirectory.FullPath,
            Sinks = [new CakeLogEventSink(context.Log, settings.Explain)],
        };
        var result = HostCall.Run(what, () => ImageOperations.Run(request));
        if (result.Steps.Count == 0)
            throw new CakeException($"{what}: the operation reported no outcome");
        return ImageBuildStepResult.From(result.Steps[^1]);
    }

    /// <summary>
    /// The format of a new image: the one given, else the one the file's extension names (<c>disk.qcow2</c>: qcow2),
    /// else null (the operation's default); a given format the extension contradicts fails the alias.
    /// </summary>
    private static string? NewImageFormat(ICakeContext context, string what, FilePath output, string? given)
    {
        try { return FormatRegistry.CreateDefault().FormatForNewImage(HostCall.Absolute(context, output), given); }
        catch (ImageException e) { throw new CakeException($"{what} failed: {e.Message}", e); }
    }

    private static string Bool(bool value) => value ? "true" : "false";
}
