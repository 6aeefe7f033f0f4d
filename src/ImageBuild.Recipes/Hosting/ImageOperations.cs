using ImageBuild.Recipes.Cache;
using ImageBuild.Recipes.Execution;
using ImageBuild.Recipes.Loading;
using ImageBuild.Recipes.Model;
using ImageBuild.Recipes.Schema;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ImageBuild.Recipes.Hosting;

/// <summary>
/// Runs one <see cref="OperationRequest"/> as a small recipe: <c>image</c> steps for the existing input files, then
/// the operation's step writing the output. So an operation is validated, keyed, skipped, written to a temporary
/// name and renamed exactly as a recipe step is, by the same code. Each operation keeps its own record
/// (.imagebuild/op-NAME.json) so that many can share a directory without touching each other's files.
/// </summary>
public static class ImageOperations
{
    /// <summary>Which parameter the second image (<see cref="OperationRequest.Other"/>) fills for each kind.</summary>
    private static readonly Dictionary<string, string> OtherParam = new(StringComparer.Ordinal)
    {
        ["compare"] = "image",
        ["apply"] = "image",
        ["rebase"] = "backing",
    };

    public static HostResult Run(OperationRequest request)
    {
        if (StepKinds.Default.Find(request.Kind) is not { External: false } kind)
            return Invalid($"unknown operation '{request.Kind}' (one of: {string.Join(", ", StepKinds.Default.Ordered.Where(k => !k.External).Select(k => k.Name))})");
        bool readsImage = kind.Find("from") is not null;

        string? input = Full(request, request.Input);
        string? other = Full(request, request.Other);
        string? output = Full(request, request.Output);
        if (readsImage && input is null)
            return Invalid($"{kind.Name}: an input image is required");
        if (!readsImage && input is not null)
            return Invalid($"{kind.Name}: takes no input image");
        if (other is not null && !OtherParam.ContainsKey(kind.Name))
            return Invalid($"{kind.Name}: takes no second image");
        if (kind.Name is "compare" && other is null)
            return Invalid("compare: a second image is required");
        foreach (var (what, path) in new[] { ("input", input), ("image", other) })
            if (path is not null && !File.Exists(path))
                return Invalid($"{kind.Name}: {what} '{path}' does not exist");
        if (kind.ProducesImage && output is null)
            return Invalid($"{kind.Name}: an output path is required");
        if (!kind.ProducesImage && output is not null)
            return Invalid($"{kind.Name}: produces no image (no output path)");
        if (output is not null && (output == input || output == other))
            return Invalid($"{kind.Name}: the output '{output}' is also an input (operations never change their inputs)");
        foreach (string reserved in new[] { "id", "kind", "from", "output", "options", "after", OtherParam.GetValueOrDefault(kind.Name) ?? "from" })
            if (request.Parameters.ContainsKey(reserved))
                return Invalid($"{kind.Name}: parameter '{reserved}' is set by the operation itself");

        // An image's record lives beside it; an operation without output keeps its record in the state directory.
        string stateDir = output is not null ? Path.GetDirectoryName(output)!
            : Full(request, request.StateDirectory) ?? Path.GetDirectoryName(input ?? Path.Combine(request.BaseDirectory, "x"))!;
        string stateName = "op-" + (output is not null
            ? Path.GetFileName(output)
            : $"{kind.Name}-{ContentHasher.HashText(string.Join("\n", kind.Name, input, other))[7..23]}");

        string text = RecipeText(request, kind, input, other, output);
        Recipe recipe;
        try
        {
            recipe = RecipeLoader.LoadText(text, Path.Combine(request.BaseDirectory, stateName + ".yaml"),
                secrets: request.Secrets.Select(s => s.AnchoredAt(request.BaseDirectory)).ToList());
        }
        catch (RecipeException e)
        {
            // The recipe is ours, not the user's: report the message without its made-up place.
            return HostResult.Failed(e.Errors.Select(err => new HostDiagnostic(DiagnosticCodes.InvalidOperation, err.Message)).ToArray());
        }

        var options = new RunOptions
        {
            OutputDir = stateDir,
            Jobs = 1,
            Sinks = request.Sinks,
            Cancellation = request.Cancellation,
            StateName = stateName,
            OwnsOutputDir = false,
        };
        var result = RecipeHost.Run(recipe, options, plan: false);
        // The recipe is made up: a failure is the operation's, named by its image rather than a recipe place.
        var diagnostics = result.Diagnostics.Select(d => d.Code == DiagnosticCodes.StepFailed
            ? new HostDiagnostic(d.Code, $"{kind.Name} failed: {result.Steps.First(s => s.Status == StepStatus.Failed).Reason}", input ?? output)
            : d with { File = input ?? output, Line = 0, Column = 0 }).ToList();
        return result with { Diagnostics = diagnostics };
    }

    private static string RecipeText(OperationRequest request, StepKind kind, string? input, string? other, string? output)
    {
        var steps = new List<Dictionary<string, object>>();
        if (input is not null) steps.Add(ImageStep("input", input, request.InputFormat));
        if (other is not null) steps.Add(ImageStep("other", other, request.OtherFormat));
        var op = new Dictionary<string, object> { ["id"] = kind.Name, ["kind"] = kind.Name };
        if (input is not null) op["from"] = "input";
        if (other is not null) op[OtherParam[kind.Name]] = "other";
        if (output is not null) op["output"] = Path.GetFileName(output);
        foreach (var (name, value) in request.Parameters) op[name] = Literal(value);
        if (request.Options.Count > 0)
            op["options"] = request.Options.ToDictionary(o => o.Key, o => (object)Literal(o.Value));
        steps.Add(op);
        var recipe = new Dictionary<string, object> { ["steps"] = steps };
        if (request.UntrustedImages) recipe["untrusted-images"] = "true";
        var text = new StringWriter();
        new YamlStream(new YamlDocument(Node(recipe))).Save(text, assignAnchors: false);
        return text.ToString();
    }

    /// <summary>
    /// The YAML node of a made-up recipe's value: a mapping, a list of mappings or a string. Strings are double-quoted,
    /// so any file name or value (a colon, a leading '*', "null", a line break) reads back as itself.
    /// </summary>
    private static YamlNode Node(object value) => value switch
    {
        string s => new YamlScalarNode(s) { Style = ScalarStyle.DoubleQuoted },
        IEnumerable<KeyValuePair<string, object>> map => new YamlMappingNode(map.Select(p => new KeyValuePair<YamlNode, YamlNode>(new YamlScalarNode(p.Key), Node(p.Value)))),
        IEnumerable<object> list => new YamlSequenceNode(list.Select(Node)),
        _ => throw new ArgumentException($"no YAML for {value.GetType().Name}", nameof(value)),
    };

    private static Dictionary<string, object> ImageStep(string id, string file, string? format)
    {
        var step = new Dictionary<string, object> { ["id"] = id, ["kind"] = "image", ["file"] = Literal(file) };
        if (format is not null) step["format"] = Literal(format);
        return step;
    }

    /// <summary>Values are taken literally: recipe variables (<c>${name}</c>) do not apply to operations.</summary>
    private static string Literal(string value) => value.Replace("${", "$${", StringComparison.Ordinal);

    private static string? Full(OperationRequest request, string? path) =>
        string.IsNullOrEmpty(path) ? null : Path.GetFullPath(path, request.BaseDirectory);

    private static HostResult Invalid(string message) =>
        HostResult.Failed(new HostDiagnostic(DiagnosticCodes.InvalidOperation, message));
}
