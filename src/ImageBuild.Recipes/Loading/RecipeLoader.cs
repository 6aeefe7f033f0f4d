using System.Globalization;
using System.Text.RegularExpressions;
using ImageBuild.Engine.Options;
using ImageBuild.Recipes.Model;
using ImageBuild.Recipes.Schema;
using YamlDotNet.Core;
using Mark = ImageBuild.Recipes.Model.Mark;
using YamlDotNet.RepresentationModel;

namespace ImageBuild.Recipes.Loading;

/// <summary>
/// Reads a recipe file (YAML) into a <see cref="Recipe"/>: the schema's structural rules (known keys, kinds,
/// parameter types, required parameters), variables and --set overrides. Every problem is collected with its
/// line and column; <see cref="RecipeValidator"/> then checks references, cycles, files and engine support.
/// </summary>
public static partial class RecipeLoader
{
    private static readonly string[] TopLevelKeys = ["name", "description", "output-dir", "untrusted-images", "variables", "secrets", "cache", "steps"];

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex IdPattern();

    internal static bool IsId(string text) => IdPattern().IsMatch(text);

    /// <summary>Loads and validates (structure, references, files, engine support). Throws <see cref="RecipeException"/>.</summary>
    /// <param name="secrets">Secrets a host gives: each replaces the recipe's secret of the same id, or adds one.</param>
    public static Recipe Load(string path, IReadOnlyDictionary<string, string>? set = null, StepKinds? kinds = null, Engine.Block.ImageContext? context = null,
        IReadOnlyList<RecipeSecret>? secrets = null)
    {
        kinds ??= StepKinds.Default;
        return Validated(Parse(path, set, kinds).WithSecrets(secrets ?? []), kinds, context);
    }

    /// <summary>Loads and validates a recipe held in memory; <paramref name="path"/> names it in messages and anchors relative paths.</summary>
    public static Recipe LoadText(string text, string path, IReadOnlyDictionary<string, string>? set = null, StepKinds? kinds = null, Engine.Block.ImageContext? context = null,
        IReadOnlyList<RecipeSecret>? secrets = null)
    {
        kinds ??= StepKinds.Default;
        return Validated(ParseText(text, path, set, kinds).WithSecrets(secrets ?? []), kinds, context);
    }

    /// <summary>The engine context a host passes to <see cref="Load"/>: null, or untrusted images asked for by the host.</summary>
    public static Engine.Block.ImageContext? EngineFor(bool untrustedImages) =>
        untrustedImages ? Engine.Block.ImageContext.CreateDefault().WithFilePolicy(Engine.Block.ImageFilePolicy.Untrusted) : null;

    private static Recipe Validated(Recipe recipe, StepKinds kinds, Engine.Block.ImageContext? context)
    {
        context ??= Engine.Block.ImageContext.CreateDefault();
        // A recipe never opens a device, FIFO or socket as an image; untrusted images (the recipe's setting or the
        // host's, given as the context's policy) name only regular files inside their own directory.
        bool untrusted = recipe.UntrustedImages || context.FilePolicy == Engine.Block.ImageFilePolicy.Untrusted;
        if (untrusted && !recipe.UntrustedImages)
            recipe = recipe.WithUntrustedImages();
        context = context.WithFilePolicy(untrusted ? Engine.Block.ImageFilePolicy.Untrusted : Engine.Block.ImageFilePolicy.RegularFiles);
        var errors = RecipeValidator.Validate(recipe, kinds, context);
        if (errors.Count > 0)
            throw new RecipeException(errors.OrderBy(e => e.Line).ThenBy(e => e.Column).ToList());
        return recipe;
    }

    /// <summary>Structural parse only (no reference, file or engine checks). Throws <see cref="RecipeException"/>.</summary>
    public static Recipe Parse(string path, IReadOnlyDictionary<string, string>? set, StepKinds kinds)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RecipeException([new RecipeError(path, 0, 0, $"cannot read recipe: {e.Message}")]);
        }
        return ParseText(text, path, set, kinds);
    }

    public static Recipe ParseText(string text, string path, IReadOnlyDictionary<string, string>? set, StepKinds kinds)
    {
        var errors = new List<RecipeError>();
        void Err(Mark m, string msg) => errors.Add(new RecipeError(path, m.Line, m.Column, msg));

        YamlStructureGuard.Check(text, path);
        var yaml = new YamlStream();
        var parser = new Parser(new StringReader(text));
        try { yaml.Load(parser); }
        catch (YamlException e)
        {
            throw new RecipeException([YamlError(e, text, path)]);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet gives up on some malformed input (NUL bytes, a stray flow indicator) with a .NET exception
            // instead of a YamlException (found by fuzzing): report it where the parser stopped.
            var at = parser.Current?.Start;
            throw new RecipeException([new RecipeError(path, (int)(at?.Line ?? 1), (int)(at?.Column ?? 1), "malformed YAML: the parser cannot read on from here")]);
        }
        if (yaml.Documents.Count != 1 || yaml.Documents[0].RootNode is not YamlMappingNode root)
            throw new RecipeException([new RecipeError(path, 1, 1, "a recipe is one YAML mapping with a 'steps' list")]);

        string? name = null, outputDir = null;
        bool untrustedImages = false;
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        var variableMarks = new Dictionary<string, Mark>(StringComparer.Ordinal);
        YamlSequenceNode? stepsNode = null;
        YamlNode? secretsNode = null, cacheNode = null;
        foreach (var (keyNode, valueNode) in root.Children)
        {
            string key = Scalar(keyNode) ?? "";
            switch (key)
            {
                case "name": name = ScalarOrError(valueNode, "name", Err); break;
                case "description": ScalarOrError(valueNode, "description", Err); break;
                case "output-dir": outputDir = ScalarOrError(valueNode, "output-dir", Err); break;
                case "untrusted-images":
                    switch (ScalarOrError(valueNode, "untrusted-images", Err))
                    {
                        case "true" or "yes" or "on": untrustedImages = true; break;
                        case "false" or "no" or "off" or null: break;
                        case var other: Err(At(valueNode), $"'untrusted-images': '{other}' is not true or false"); break;
                    }
                    break;
                case "variables":
                    if (valueNode is YamlMappingNode vars)
                    {
                        foreach (var (vk, vv) in vars.Children)
                        {
                            string? vname = Scalar(vk);
                            string? vvalue = Scalar(vv);
                            if (vname is null || !IdPattern().IsMatch(vname))
                                Err(At(vk), $"variable names are letters, digits, '.', '_' and '-'");
                            else if (vvalue is null)
                                Err(At(vv), $"variable '{vname}' must be a single value");
                            else
                            {
                                variables[vname] = vvalue;
                                variableMarks[vname] = At(vk);
                            }
                        }
                    }
                    else
                        Err(At(valueNode), "'variables' must be a mapping of name: value");
                    break;
                case "secrets":
                    secretsNode = valueNode;
                    break;
                case "cache":
                    cacheNode = valueNode;
                    break;
                case "steps":
                    stepsNode = valueNode as YamlSequenceNode;
                    if (stepsNode is null) Err(At(valueNode), "'steps' must be a list of steps");
                    break;
                default:
                    Err(At(keyNode), $"unknown top-level key '{key}' (expected one of: {string.Join(", ", TopLevelKeys)})");
                    break;
            }
        }
        if (set is not null)
        {
            foreach (var (k, v) in set)
            {
                if (!variables.ContainsKey(k))
                    errors.Add(new RecipeError(path, 0, 0, $"--set {k}: the recipe declares no variable '{k}' (declared: {(variables.Count == 0 ? "none" : string.Join(", ", variables.Keys))})"));
                else
                    variables[k] = v;
            }
        }
        if (stepsNode is null && !root.Children.Keys.Any(k => Scalar(k) == "steps"))
            Err(At(root), "a recipe needs a 'steps' list");

        var expander = new VariableExpander(variables);
        string directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? Environment.CurrentDirectory;
        List<RecipeSecret> secrets = secretsNode is null ? [] : SecretsParser.Parse(secretsNode, directory, expander, Err);
        var cache = cacheNode is null ? null : CacheParser.Parse(cacheNode, directory, expander, Err);
        var steps = new List<RecipeStep>();
        var seen = new Dictionary<string, Mark>(StringComparer.Ordinal);
        foreach (var item in stepsNode?.Children ?? [])
        {
            if (item is not YamlMappingNode stepMap)
            {
                Err(At(item), "a step must be a mapping with 'id' and 'kind'");
                continue;
            }
            var step = ParseStep(stepMap, kinds, expander, Err);
            if (step is null) continue;
            if (seen.TryGetValue(step.Id, out var first))
                Err(step.Mark, $"duplicate step id '{step.Id}' (first defined at line {first.Line})");
            else
                seen[step.Id] = step.Mark;
            steps.Add(step);
        }
        if (stepsNode is not null && stepsNode.Children.Count == 0)
            Err(At(stepsNode), "'steps' is empty");

        if (errors.Count > 0)
            throw new RecipeException(errors.OrderBy(e => e.Line).ThenBy(e => e.Column).ToList());
        return new Recipe
        {
            File = path,
            Directory = directory,
            Name = name,
            OutputDir = outputDir,
            UntrustedImages = untrustedImages,
            Variables = variables,
            Steps = steps,
            Secrets = secrets,
            Cache = cache,
        };
    }

    private static RecipeStep? ParseStep(YamlMappingNode map, StepKinds kinds, VariableExpander expander, Action<Mark, string> err)
    {
        string? id = null, kindName = null;
        Mark kindMark = At(map);
        foreach (var (k, v) in map.Children)
        {
            string? key = Scalar(k);
            if (key == "id")
            {
                id = Scalar(v);
                if (id is null || !IdPattern().IsMatch(id))
                {
                    err(At(v), "step id must be letters, digits, '.', '_' and '-', starting with a letter or digit");
                    id = null;
                }
            }
            else if (key == "kind")
            {
                kindName = Scalar(v);
                kindMark = At(v);
            }
        }
        string label = id is null ? $"step at line {At(map).Line}" : $"step '{id}'";
        if (id is null && !map.Children.Keys.Any(k => Scalar(k) == "id"))
            err(At(map), $"{label}: missing 'id'");
        if (kindName is null)
        {
            err(kindMark, $"{label}: missing 'kind' (one of: {string.Join(", ", kinds.Ordered.Select(x => x.Name))})");
            return null;
        }
        var kind = kinds.Find(kindName);
        if (kind is null)
        {
            err(kindMark, $"{label}: unknown step kind '{kindName}' (one of: {string.Join(", ", kinds.Ordered.Select(x => x.Name))})");
            return null;
        }

        var specs = StepKinds.AllParams(kind).ToDictionary(p => p.Name, StringComparer.Ordinal);
        var values = new Dictionary<string, ParamValue>(StringComparer.Ordinal);
        foreach (var (k, v) in map.Children)
        {
            string key = Scalar(k) ?? "";
            if (key is "id" or "kind") continue;
            if (!specs.TryGetValue(key, out var spec))
            {
                err(At(k), $"{label}: unknown parameter '{key}' for kind '{kind.Name}' (accepted: {string.Join(", ", StepKinds.AllParams(kind).Select(p => p.Name).Where(n => n is not "id" and not "kind"))})");
                continue;
            }
            if (key == "description")
            {
                if (Scalar(v) is null) err(At(v), $"{label}: 'description' must be text");
                continue;
            }
            var value = ReadValue(spec, v, expander, label, err);
            if (value is not null)
                values[key] = value;
        }
        foreach (var spec in kind.Params.Where(p => p.Required))
            if (!values.ContainsKey(spec.Name) && !map.Children.Keys.Any(k => Scalar(k) == spec.Name))
                err(At(map), $"{label}: kind '{kind.Name}' needs parameter '{spec.Name}'");
        if (id is null)
            return null;
        return new RecipeStep { Id = id, Kind = kind.Name, Mark = At(map), KindMark = kindMark, Params = values };
    }

    private static ParamValue? ReadValue(ParamSpec spec, YamlNode node, VariableExpander expander, string label, Action<Mark, string> err)
    {
        Mark mark = At(node);
        string? Text(YamlNode n)
        {
            string? raw = Scalar(n);
            if (raw is null)
            {
                err(At(n), $"{label}: '{spec.Name}' must be a single value");
                return null;
            }
            string? expanded = expander.Expand(raw, out var e);
            if (expanded is null) err(At(n), $"{label}: {e}");
            return expanded;
        }

        switch (spec.Type)
        {
            case ParamType.Map:
                return ReadMap(spec, node, expander, $"{label}: '{spec.Name}'", err);
            case ParamType.MapList:
            {
                if (node is not YamlSequenceNode maps)
                {
                    err(mark, $"{label}: '{spec.Name}' must be a list of mappings");
                    return null;
                }
                var items = new List<MapValue>();
                for (int i = 0; i < maps.Children.Count; i++)
                    if (ReadMap(spec, maps.Children[i], expander, $"{label}: {spec.Name}[{i}]", err) is { } item)
                        items.Add(item);
                return items.Count == maps.Children.Count ? new MapListValue(items, mark) : null;
            }
            case ParamType.StepRefList or ParamType.TextList:
            {
                if (node is not YamlSequenceNode seq)
                {
                    string? one = Text(node);
                    return one is null ? null : new ListValue([new TextValue(one, mark)], mark);
                }
                var items = new List<TextValue>();
                foreach (var child in seq.Children)
                    if (Text(child) is { } t) items.Add(new TextValue(t, At(child)));
                return new ListValue(items, mark);
            }
            case ParamType.Options:
            {
                if (node is not YamlMappingNode optMap)
                {
                    err(mark, $"{label}: '{spec.Name}' must be a mapping of option: value");
                    return null;
                }
                var items = new List<KeyValuePair<string, TextValue>>();
                foreach (var (ok, ov) in optMap.Children)
                {
                    string? oname = Scalar(ok);
                    string? ovalue = Text(ov);
                    if (oname is null || ovalue is null) continue;
                    items.RemoveAll(p => p.Key == oname);
                    items.Add(new(oname, new TextValue(ovalue, At(ok))));
                }
                return new OptionsValue(items, mark);
            }
        }

        string? text = Text(node);
        if (text is null) return null;
        switch (spec.Type)
        {
            case ParamType.Size:
                if (!SizeParser.TryParse(text, out long size))
                {
                    err(mark, $"{label}: '{spec.Name}': invalid size '{text}' (a number with an optional k, M, G, T, P or E suffix)");
                    return null;
                }
                return new NumberValue(size, mark);
            case ParamType.SizeDelta:
            {
                string digits = text.Length > 0 && text[0] is '+' or '-' ? text[1..] : text;
                if (!SizeParser.TryParse(digits, out long n))
                {
                    err(mark, $"{label}: '{spec.Name}': invalid size '{text}' (SIZE, +SIZE or -SIZE with an optional k, M, G, T, P or E suffix)");
                    return null;
                }
                string sign = text.Length > 0 && text[0] is '+' or '-' ? text[..1] : "";
                return new TextValue(sign + n.ToString(CultureInfo.InvariantCulture), mark);
            }
            case ParamType.Integer:
                if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long i) &&
                    !(text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && long.TryParse(text[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out i)))
                {
                    err(mark, $"{label}: '{spec.Name}': '{text}' is not an integer");
                    return null;
                }
                if (i < spec.Min || i > spec.Max)
                {
                    err(mark, $"{label}: '{spec.Name}': {i} is outside {spec.Min}..{spec.Max}");
                    return null;
                }
                return new NumberValue(i, mark);
            case ParamType.Bool:
                switch (text)
                {
                    case "true" or "yes" or "on": return new BoolValue(true, mark);
                    case "false" or "no" or "off": return new BoolValue(false, mark);
                    default:
                        err(mark, $"{label}: '{spec.Name}': '{text}' is not true or false");
                        return null;
                }
            case ParamType.Enum:
                if (!spec.Values.Contains(text))
                {
                    err(mark, $"{label}: '{spec.Name}': '{text}' is not one of {string.Join(", ", spec.Values)}");
                    return null;
                }
                return new TextValue(text, mark);
            case ParamType.FileName:
                if (text.Length == 0 || text.Contains('/') || text.Contains('\\') || text is "." or ".." || text.StartsWith('.'))
                {
                    err(mark, $"{label}: '{spec.Name}': '{text}' must be a plain file name (no directory, not starting with '.')");
                    return null;
                }
                if (text == Execution.RecipeRunner.SummaryFileName)
                {
                    err(mark, $"{label}: '{spec.Name}': '{text}' is reserved for the run summary");
                    return null;
                }
                return new TextValue(text, mark);
            case ParamType.RepoFile or ParamType.RepoFolder:
                if (text.Length == 0)
                {
                    err(mark, $"{label}: '{spec.Name}' is empty");
                    return null;
                }
                return new TextValue(text, mark);
            default:
                return new TextValue(text, mark);
        }
    }

    /// <summary>A mapping whose keys are <paramref name="spec"/>'s fields, each read as a step parameter is.</summary>
    private static MapValue? ReadMap(ParamSpec spec, YamlNode node, VariableExpander expander, string label, Action<Mark, string> err)
    {
        if (node is not YamlMappingNode map)
        {
            err(At(node), $"{label} must be a mapping of {string.Join(", ", spec.Fields.Select(f => f.Name))}");
            return null;
        }
        var fields = spec.Fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
        var values = new Dictionary<string, ParamValue>(StringComparer.Ordinal);
        bool ok = true;
        foreach (var (k, v) in map.Children)
        {
            string key = Scalar(k) ?? "";
            if (!fields.TryGetValue(key, out var field))
            {
                err(At(k), $"{label}: unknown key '{key}' (accepted: {string.Join(", ", spec.Fields.Select(f => f.Name))})");
                ok = false;
                continue;
            }
            if (ReadValue(field, v, expander, label, err) is { } value) values[key] = value;
            else ok = false;
        }
        foreach (var field in spec.Fields.Where(f => f.Required && !values.ContainsKey(f.Name)))
            if (!map.Children.Keys.Any(k => Scalar(k) == field.Name))
            {
                err(At(map), $"{label}: needs '{field.Name}'");
                ok = false;
            }
        return ok ? new MapValue(values, At(map)) : null;
    }

    private static string? Scalar(YamlNode node) => node is YamlScalarNode s ? s.Value ?? "" : null;

    private static string? ScalarOrError(YamlNode node, string key, Action<Mark, string> err)
    {
        string? s = Scalar(node);
        if (s is null) err(At(node), $"'{key}' must be a single value");
        return s;
    }

    internal static Mark At(YamlNode node) => new((int)node.Start.Line, (int)node.Start.Column);

    /// <summary>
    /// A YAML syntax error at its place. YamlDotNet reports a tab in indentation where the enclosing node began
    /// (often the line above, or the end of the previous line): such an error points at the first tab that indents a
    /// line from there on, the place to fix.
    /// </summary>
    internal static RecipeError YamlError(YamlException e, string text, string path)
    {
        string message = Inner(e);
        int line = (int)e.Start.Line, column = (int)e.Start.Column;
        if (message.Contains(" tab", StringComparison.Ordinal))
        {
            var lines = text.Split('\n');
            for (int i = Math.Max(0, line - 1); i < lines.Length; i++)
            {
                int tab = lines[i].IndexOf('\t');
                if (tab < 0 || lines[i][..tab].Trim(' ').Length > 0) continue;
                return new RecipeError(path, i + 1, tab + 1, "a tab indents this line; YAML indents with spaces only");
            }
        }
        return new RecipeError(path, line, column, message);
    }

    internal static string Inner(YamlException e)
    {
        Exception x = e;
        while (x.InnerException is YamlException inner) x = inner;
        string msg = x.Message;
        // YamlDotNet prefixes "(Line: a, Col: b, Idx: c) - (Line: ...): "; the location is already in file:line:col.
        int sep = msg.IndexOf("): ", StringComparison.Ordinal);
        return sep >= 0 && msg.StartsWith('(') ? msg[(sep + 3)..] : msg;
    }
}
