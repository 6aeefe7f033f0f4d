using ImageBuild.Engine;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Operations;
using ImageBuild.Recipes.Model;
using ImageBuild.Recipes.Schema;

namespace ImageBuild.Recipes.Loading;

/// <summary>
/// Checks a parsed recipe beyond its structure: references and cycles, repository files, the rules between
/// parameters (exactly one content source, ...), and that the engine can do what each step asks (formats,
/// options, compression, snapshots) — so a missing capability is an error at validate time, not half-way
/// through a run.
/// </summary>
public static class RecipeValidator
{
    public static List<RecipeError> Validate(Recipe recipe, StepKinds kinds, ImageContext context)
    {
        var errors = new List<RecipeError>();
        var graph = RecipeGraph.Build(recipe, kinds, context.Formats, errors);
        foreach (var step in recipe.Steps)
        {
            CheckStep(recipe, kinds, step, graph, context, errors);
            CheckSecretOptions(recipe, step, errors);
            CheckEncryptedInputs(recipe, step, graph, context, errors);
        }
        CheckSecrets(recipe, errors);
        if (graph is not null)
            CheckOutputs(recipe, graph, errors);
        return errors;
    }

    /// <summary>
    /// Every secret can be read now (a variable that is set, a regular file of bounded size), so a missing one is
    /// an error at its line before anything runs. Values are not read here.
    /// </summary>
    private static void CheckSecrets(Recipe recipe, List<RecipeError> errors)
    {
        foreach (var secret in recipe.Secrets)
            if (Secrets.SecretReader.Check(secret) is { } problem)
                errors.Add(secret.Mark == Mark.None
                    ? new RecipeError(recipe.File, 0, 0, problem + " (given by the host)")
                    : recipe.Error(secret.Mark, problem));
    }

    /// <summary>
    /// An option that takes a secret names one the recipe declares. The message never repeats the option's value: a
    /// passphrase written there by mistake must not end up in a log.
    /// </summary>
    private static void CheckSecretOptions(Recipe recipe, RecipeStep step, List<RecipeError> errors)
    {
        foreach (var (option, id) in Secrets.SecretOptions.Of(step))
            if (recipe.FindSecret(id.Value) is null)
                errors.Add(recipe.Error(id.Mark, $"step '{step.Id}': option '{option}' must name a secret declared under 'secrets:' " +
                    (recipe.Secrets.Count == 0 ? "(the recipe declares none)" : $"(declared: {string.Join(", ", recipe.Secrets.Select(s => s.Id))})") +
                    "; a secret's value is never written in the recipe"));
    }

    /// <summary>
    /// A step's image inputs must not be encrypted outputs (a step whose options name a secret): the engine's
    /// operations open their inputs without runtime options, so no key-secret reaches them yet. Refused here rather
    /// than half-way through the run.
    /// </summary>
    private static void CheckEncryptedInputs(Recipe recipe, RecipeStep step, RecipeGraph? graph, ImageContext context, List<RecipeError> errors)
    {
        foreach (var (_, param, input) in RecipeGraph.Inputs(step))
            if (recipe.Find(input.Value) is { } source && IsEncrypted(source, graph, context))
                errors.Add(recipe.Error(input.Mark, $"step '{step.Id}': '{param}: {input.Value}' is an encrypted image; steps cannot read encrypted images yet (use it as a final output)"));
    }

    /// <summary>A step whose options name a secret, or an existing image whose header says it is encrypted.</summary>
    private static bool IsEncrypted(RecipeStep source, RecipeGraph? graph, ImageContext context) =>
        Secrets.SecretOptions.Of(source).Any()
        || (source.Kind == "image" && graph?.Shapes.GetValueOrDefault(source.Id) is { OutputName: { } file } shape
            && IsEncryptedImage(context, file, shape.Format));

    /// <summary>
    /// Whether an existing image is encrypted (a luks volume, an encrypted qcow or qcow2), from its metadata alone as
    /// `info` reads it without a key; an image that cannot be opened is the run's to report.
    /// </summary>
    private static bool IsEncryptedImage(ImageContext context, string file, string? format)
    {
        if (ImageOpener.ProbeFile(context.Formats, file) is null) return false;
        try
        {
            using var image = ImageOpener.Open(context, file,
                new OpenOptions { Format = format, NoIo = true, NoBacking = true, ForceShare = true });
            return image.IsEncrypted;
        }
        catch (ImageException)
        {
            return false;
        }
    }

    /// <summary>
    /// Opens an existing image's chain under the recipe's file policy, so that a backing or data file that is a
    /// device, a FIFO, or (untrusted images) outside its image's directory is refused before anything runs. Other
    /// problems of the image are the run's to report, as before.
    /// </summary>
    private static void CheckImageFiles(string full, string? format, TextValue t, ImageContext ctx, Action<Mark, string> err)
    {
        try
        {
            using var _ = ImageOpener.Open(ctx, full, new OpenOptions { Format = format, NoIo = true, ForceShare = true, NoLocking = true });
        }
        catch (ImageException e)
        {
            for (Exception? x = e; x is not null; x = x.InnerException)
                if (x is ImageFileException refused)
                {
                    err(t.Mark, $"image '{t.Value}': {refused.Message}");
                    return;
                }
        }
    }

    private static void CheckStep(Recipe recipe, StepKinds kinds, RecipeStep step, RecipeGraph? graph, ImageContext ctx, List<RecipeError> errors)
    {
        void Err(Mark m, string msg) => errors.Add(recipe.Error(m, $"step '{step.Id}': {msg}"));
        StepShape? from = graph is not null && step.Text("from") is { } f ? graph.Shapes.GetValueOrDefault(f) : null;

        var repoFiles = kinds.Find(step.Kind)?.Params.Where(p => p.Type == ParamType.RepoFile).Select(p => p.Name) ?? [];
        foreach (var p in repoFiles)
        {
            if (step.Get(p) is TextValue t)
            {
                string full = recipe.ResolveFile(t.Value);
                var type = FileKind.Of(full, followLinks: true);
                if (type == FileType.Missing)
                    Err(t.Mark, $"{p} '{t.Value}' does not exist (looked for {full})");
                else if (type != FileType.Regular)
                    // Reading a FIFO would block the run, a device never end: recipes read regular files only.
                    Err(t.Mark, $"{p} '{t.Value}' is {FileKind.Describe(type)}, not a regular file (recipes never read devices, FIFOs or sockets)");
                else if (p == "image-file" || step.Kind == "image")
                    CheckImageFiles(full, step.Text(p == "file" ? "format" : "image-format"), t,
                        step.Get("untrusted") is BoolValue { Value: true } ? ctx.WithFilePolicy(ImageFilePolicy.Untrusted) : ctx, Err);
            }
        }

        switch (step.Kind)
        {
            case "image":
                if (step.Text("format") is { } imgf)
                    KnownFormat(imgf, step.MarkOf("format"), Err, ctx);
                else
                    ProbedFormat(recipe, step, "file", Err, ctx);
                break;
            case "create":
                CreatableFormat(step.Text("format") ?? "raw", step.MarkOf("format"), Err, ctx, step);
                break;
            case "convert":
                CreatableFormat(step.Text("format")!, step.MarkOf("format"), Err, ctx, step);
                break;
            case "overlay":
            {
                var q = TargetFormat(step, FormatFeatures.Backing, "backing files", Err, ctx);
                if (q is not null) Options(q, step, Err);
                break;
            }
            case "write":
            {
                int sources = new[] { "file", "pattern", "zeroes" }.Count(p => step.Get(p) is not null);
                if (sources != 1)
                    Err(step.Mark, "give exactly one of 'file', 'pattern' or 'zeroes: true'");
                if (step.Get("zeroes") is BoolValue { Value: false } z)
                    Err(z.Mark, "'zeroes' can only be true (leave it out otherwise)");
                if (step.Get("file") is not null && step.Get("length") is { } l)
                    Err(l.Mark, "'length' is taken from the file; leave it out");
                if (step.Get("file") is null && step.Get("length") is null && sources == 1)
                    Err(step.Mark, "'pattern' and 'zeroes' need 'length'");
                break;
            }
            case "apply":
                if ((step.Get("image") is null) == (step.Get("image-file") is null))
                    Err(step.Mark, "give exactly one of 'image' (a step) or 'image-file' (a repository file)");
                if (step.Text("image-format") is { } imf)
                    KnownFormat(imf, step.MarkOf("image-format"), Err, ctx);
                else if (step.Get("image-file") is not null)
                    ProbedFormat(recipe, step, "image-file", Err, ctx);
                break;
            case "commit":
                // An existing image's backing file is known only when it is opened (the step says so then).
                if (from is not null && from.BackingStep is null && recipe.Find(step.Text("from")!)?.Kind != "image")
                    Err(step.MarkOf("from"), $"'from: {step.Text("from")}' has no backing image to commit into (commit needs an overlay)");
                break;
            case "rebase":
                if (from?.Format is { } rf && ctx.Formats.Find(rf) is { SupportsBacking: false })
                    Err(step.MarkOf("from"), $"'from: {step.Text("from")}' is a {rf} image, which cannot have a backing file");
                break;
            case "compress":
            {
                var q = TargetFormat(step, FormatFeatures.CompressedWrites, "compressed writes", Err, ctx);
                if (q is null) break;
                if (Steps.CompressStepOptions.Of(step) is { } opts)
                {
                    try { ImageCreator.ParseOptions(q, opts); }
                    catch (ImageException e) { Err(step.MarkOf("type"), $"compression type '{step.Text("type")}': {FirstLine(e.Message)}"); }
                }
                Options(q, step, Err);
                break;
            }
            case "snapshot":
                if (from?.Format is { } sf && ctx.Formats.Find(sf) is { } sfmt && !sfmt.Capabilities.Has(FormatFeatures.InternalSnapshots))
                    Err(step.MarkOf("from"), $"'from: {step.Text("from")}' is a {sf} image, which cannot hold internal snapshots");
                break;
            case "azure-vhd":
                AzureVhdStep(recipe, step, graph, ctx, Err);
                break;
            case "hyperv-vhdx":
                HyperVVhdxStep(step, ctx, Err);
                break;
            case "filesystem" or "partition" or "cloud-init-seed":
                ContentStepChecks.Check(recipe, step, graph, ctx, Err);
                break;
            case "ova" or "vagrant-box" or "gce-tar" or "archive":
                ArtifactStepChecks.Check(recipe, step, graph, ctx, Err);
                break;
            case "measure":
            {
                string? fmt = step.Text("format") ?? from?.Format;
                if (fmt is null) break;
                var m = KnownFormat(fmt, step.MarkOf("format"), Err, ctx);
                if (m is not null) Options(m, step, Err);
                break;
            }
        }
    }

    /// <summary>
    /// azure-vhd: the engine must write fixed VHDs with an exact size, and a source whose size the recipe fixes must
    /// fit Azure's limits (checked again at run time for sizes only a run knows).
    /// </summary>
    private static void AzureVhdStep(Recipe recipe, RecipeStep step, RecipeGraph? graph, ImageContext ctx, Action<Mark, string> err)
    {
        if (KnownFormat(Platforms.AzureVhd.Format, step.KindMark, err, ctx) is { } vpc)
        {
            if (!vpc.SupportsCreate)
                err(step.KindMark, $"format '{vpc.Name}' cannot be created");
            else
            {
                try { ImageCreator.ParseOptions(vpc, Platforms.AzureVhd.CreateOptions); }
                catch (ImageException e) { err(step.KindMark, $"the engine's {vpc.Name} driver cannot write an Azure VHD: {FirstLine(e.Message)}"); }
            }
        }
        if (graph is not null && step.Text("from") is { } from && Platforms.StaticSize.Of(recipe, graph, from, ctx) is { } size
            && Platforms.AzureVhd.Refusal($"'from: {from}'", size) is { } why)
            err(step.MarkOf("from"), why);
    }

    /// <summary>hyperv-vhdx: sector sizes the VHDX specification allows, and each setting as the vhdx driver takes it.</summary>
    private static void HyperVVhdxStep(RecipeStep step, ImageContext ctx, Action<Mark, string> err)
    {
        foreach (var p in new[] { "logical-sector-size", "physical-sector-size" })
            if (step.Get(p) is NumberValue n && !Platforms.HyperVVhdx.IsSectorSize(n.Value))
                err(n.Mark, $"'{p}': {n.Value} is not a VHDX sector size (512 or 4096)");
        if (step.Get("block-size") is NumberValue b && !Platforms.HyperVVhdx.IsBlockSize(b.Value))
            err(b.Mark, $"'block-size': {b.Value} is not a VHDX block size (a power of two from 1M to 256M)");
        if (step.Get("options") is OptionsValue o)
            foreach (var (name, value) in o.Items)
                if (Platforms.HyperVVhdx.OptionOfParameter.TryGetValue(name, out var param))
                    err(value.Mark, $"option '{name}' is set by the step's parameter '{param}'");
        if (KnownFormat(Platforms.HyperVVhdx.Format, step.KindMark, err, ctx) is not { } vhdx) return;
        if (!vhdx.SupportsCreate)
        {
            err(step.KindMark, $"format '{vhdx.Name}' cannot be created");
            return;
        }
        foreach (var (option, value) in Platforms.HyperVVhdx.CreateOptions(step).Take(Platforms.HyperVVhdx.OptionOfParameter.Count))
        {
            string param = Platforms.HyperVVhdx.OptionOfParameter[option];
            try { ImageCreator.ParseOptions(vhdx, [new(option, value)]); }
            catch (ImageException e) { err(step.MarkOf(param), $"'{param}': {FirstLine(e.Message)}"); }
        }
        Options(vhdx, step, err);
    }

    private static void CreatableFormat(string name, Mark mark, Action<Mark, string> err, ImageContext ctx, RecipeStep step)
    {
        var format = KnownFormat(name, mark, err, ctx);
        if (format is null) return;
        if (!format.SupportsCreate)
        {
            err(mark, $"format '{name}' cannot be created (qemu-img cannot create it either)");
            return;
        }
        Options(format, step, err);
    }

    private static ImageFormat? KnownFormat(string name, Mark mark, Action<Mark, string> err, ImageContext ctx, string prefix = "")
    {
        var format = ctx.Formats.Find(name);
        if (format is UnsupportedFormat unsupported)
        {
            err(mark, prefix + unsupported.Refusal(null).Message);
            return null;
        }
        if (format is not null) return format;
        err(mark, $"{prefix}unknown format '{name}' (the engine has: {string.Join(", ", ctx.Formats.All.Where(x => x is not UnsupportedFormat).Select(x => x.Name))})");
        return null;
    }

    /// <summary>
    /// The format a step writes that must have <paramref name="feature"/>: the step's own <c>format</c>, or the first the
    /// engine has with that capability.
    /// </summary>
    private static ImageFormat? TargetFormat(RecipeStep step, FormatFeatures feature, string what, Action<Mark, string> err, ImageContext ctx)
    {
        if (step.Text("format") is not { } name)
        {
            var preferred = ctx.Formats.Preferred(feature);
            if (preferred is null) err(step.KindMark, $"no format of this engine can create images with {what}");
            return preferred;
        }
        var format = KnownFormat(name, step.MarkOf("format"), err, ctx);
        if (format is null) return null;
        if (!format.Capabilities.IsWritableTarget || !format.Capabilities.Has(feature))
        {
            err(step.MarkOf("format"), $"format '{name}' cannot be written with {what}");
            return null;
        }
        return format;
    }

    /// <summary>
    /// An existing image file whose format the recipe leaves to probing: probed now, as the run would, so that a
    /// format the engine cannot read yet fails validation instead of the build (and is never taken for raw).
    /// </summary>
    private static void ProbedFormat(Recipe recipe, RecipeStep step, string param, Action<Mark, string> err, ImageContext ctx)
    {
        if (step.Text(param) is not { } rel) return;
        string path = recipe.ResolveFile(rel);
        if (ImageOpener.ProbeFile(ctx.Formats, path) is UnsupportedFormat unsupported)
            err(step.MarkOf(param), unsupported.Refusal(path).Message);
    }

    /// <summary>Each option is checked on its own, so the error points at the option that is wrong.</summary>
    private static void Options(ImageFormat format, RecipeStep step, Action<Mark, string> err)
    {
        if (step.Get("options") is not OptionsValue o) return;
        foreach (var (name, value) in o.Items)
        {
            if (name is "backing_file" or "backing_fmt" or "size")
            {
                err(value.Mark, $"option '{name}' is set by the recipe itself (use the step's parameters)");
                continue;
            }
            try { ImageCreator.ParseOptions(format, [new(name, value.Value)]); }
            catch (ImageException e)
            {
                // A secret option's value may be a passphrase written there by mistake: never repeated.
                string message = FirstLine(e.Message);
                if (Secrets.SecretOptions.IsSecretOption(name) && value.Value.Length > 0)
                    message = message.Replace(value.Value, "(its value)", StringComparison.Ordinal);
                err(value.Mark, $"{format.Name} option '{name}': {message}");
            }
        }
    }

    private static void CheckOutputs(Recipe recipe, RecipeGraph graph, List<RecipeError> errors)
    {
        var names = new Dictionary<string, RecipeStep>(StringComparer.Ordinal);
        foreach (var step in recipe.Steps)
        {
            if (graph.Shapes[step.Id].OutputName is not { } name) continue;
            if (names.TryGetValue(name, out var other))
                errors.Add(recipe.Error(step.MarkOf("output"), $"step '{step.Id}': output '{name}' is also the output of step '{other.Id}'"));
            else
                names[name] = step;
        }
    }

    private static string FirstLine(string s) => s.Split('\n')[0];
}
