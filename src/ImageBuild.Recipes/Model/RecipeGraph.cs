using ImageBuild.Engine.Block;
using ImageBuild.Recipes.Schema;

namespace ImageBuild.Recipes.Model;

/// <summary>
/// What a step's output looks like before anything runs: its format, backing step and file name in the output
/// directory (for an <c>image</c> step: the absolute path of the existing file).
/// </summary>
public sealed record StepShape(string? Format, string? BackingStep, string? OutputName)
{
    /// <summary>The output is an artifact (an archive, an OVA, a checksum list), not an image: it has no format.</summary>
    public bool Artifact { get; init; }
}

/// <summary>
/// The steps as a graph: each step's inputs (step references and after:), a topological order, and each step's
/// statically known output shape. Built only for recipes whose references resolve and have no cycle.
/// </summary>
public sealed class RecipeGraph
{
    /// <summary>Parameters that name another step's image as an input.</summary>
    public static readonly string[] ImageRefParams = ["from", "image", "backing"];

    /// <summary>
    /// List parameters whose items name other steps' outputs as inputs (an OVA's further disks, the outputs a checksum
    /// list covers). Item <c>i</c> is the input <c>PARAM[i]</c> (<see cref="ListInputName"/>).
    /// </summary>
    public static readonly string[] OutputListParams = ["disks", "outputs"];

    /// <summary>
    /// Lists of mappings whose items name another step's image in a field (a partition's <c>content</c>). Item
    /// <c>i</c>'s reference is the input <c>PARAM[i]</c>.
    /// </summary>
    public static readonly (string List, string Field)[] MapListRefs = [("partitions", "content")];

    /// <summary>The name of the input a list parameter's item is.</summary>
    public static string ListInputName(string param, int index) => $"{param}[{index}]";

    /// <summary>Every input a step reads, by input name (from, image, backing, disks[0], ...), in parameter order.</summary>
    public static IEnumerable<(string Input, string Param, TextValue Ref)> Inputs(RecipeStep step)
    {
        foreach (var p in ImageRefParams)
            if (step.Get(p) is TextValue t)
                yield return (p, p, t);
        foreach (var p in OutputListParams)
            if (step.Get(p) is ListValue l)
                for (int i = 0; i < l.Items.Count; i++)
                    yield return (ListInputName(p, i), p, l.Items[i]);
        foreach (var (p, field) in MapListRefs)
            if (step.Get(p) is MapListValue maps)
                for (int i = 0; i < maps.Items.Count; i++)
                    if (maps.Items[i].Get(field) is TextValue t)
                        yield return (ListInputName(p, i), p, t);
    }

    private RecipeGraph(Recipe recipe, IReadOnlyDictionary<string, IReadOnlyList<string>> deps, IReadOnlyList<RecipeStep> order,
        IReadOnlyDictionary<string, StepShape> shapes)
    {
        Recipe = recipe;
        Dependencies = deps;
        Order = order;
        Shapes = shapes;
        var dependents = recipe.Steps.ToDictionary(s => s.Id, _ => new List<string>());
        foreach (var (id, ds) in deps)
            foreach (var d in ds.Distinct())
                dependents[d].Add(id);
        Dependents = dependents.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value);
    }

    public Recipe Recipe { get; }

    /// <summary>Step id → ids it depends on (image inputs first, then after:), without duplicates.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Dependencies { get; }

    /// <summary>Step id → ids that depend on it directly.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Dependents { get; }

    /// <summary>Steps in an order where every step follows its dependencies (file order among independent ones).</summary>
    public IReadOnlyList<RecipeStep> Order { get; }

    public IReadOnlyDictionary<string, StepShape> Shapes { get; }

    /// <summary>Every step id a step references (image inputs and after:), with where each reference is written.</summary>
    public static IEnumerable<(string Param, TextValue Ref)> References(RecipeStep step)
    {
        foreach (var (_, p, t) in Inputs(step))
            yield return (p, t);
        if (step.Get("after") is ListValue l)
            foreach (var t in l.Items)
                yield return ("after", t);
    }

    /// <summary>
    /// Builds the graph; null with <paramref name="errors"/> filled when a reference is missing or the steps form
    /// a cycle.
    /// </summary>
    public static RecipeGraph? Build(Recipe recipe, StepKinds kinds, FormatRegistry formats, List<RecipeError> errors)
    {
        var byId = recipe.Steps.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var deps = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        int before = errors.Count;
        foreach (var step in recipe.Steps)
        {
            var list = new List<string>();
            foreach (var (param, r) in References(step))
            {
                if (!byId.TryGetValue(r.Value, out var target))
                {
                    errors.Add(recipe.Error(r.Mark, $"step '{step.Id}': '{param}: {r.Value}' names no step in this recipe"));
                    continue;
                }
                if (r.Value == step.Id)
                {
                    errors.Add(recipe.Error(r.Mark, $"step '{step.Id}': '{param}' refers to the step itself"));
                    continue;
                }
                if (param != "after" && kinds.Find(target.Kind) is { ProducesImage: false } targetKind)
                {
                    bool takesArtifact = kinds.Find(step.Kind)?.AcceptsArtifacts.Contains(param) == true;
                    if (!targetKind.ProducesArtifact)
                    {
                        errors.Add(recipe.Error(r.Mark, $"step '{step.Id}': '{param}: {r.Value}' is a '{target.Kind}' step, which produces no {(takesArtifact ? "output" : "image")} (use 'after:' to order steps)"));
                        continue;
                    }
                    if (!takesArtifact)
                    {
                        errors.Add(recipe.Error(r.Mark, $"step '{step.Id}': '{param}: {r.Value}' is a '{target.Kind}' step, whose output is a file, not a disk image; '{step.Kind}' reads images here"));
                        continue;
                    }
                }
                if (!list.Contains(r.Value)) list.Add(r.Value);
            }
            deps[step.Id] = list;
        }
        if (errors.Count > before)
            return null;

        // Depth-first search for cycles, reporting each cycle once at the step where it closes.
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 0 new, 1 on stack, 2 done
        var order = new List<RecipeStep>();
        var stack = new List<string>();
        bool cyclic = false;
        void Visit(string id)
        {
            state.TryGetValue(id, out int s);
            if (s == 2) return;
            if (s == 1)
            {
                int at = stack.IndexOf(id);
                var cycle = stack.Skip(at).Append(id).ToList();
                var first = byId[id];
                errors.Add(recipe.Error(first.Mark, $"step '{id}': steps form a cycle: {string.Join(" -> ", cycle)}"));
                cyclic = true;
                return;
            }
            state[id] = 1;
            stack.Add(id);
            foreach (var d in deps[id]) Visit(d);
            stack.RemoveAt(stack.Count - 1);
            state[id] = 2;
            order.Add(byId[id]);
        }
        foreach (var step in recipe.Steps) Visit(step.Id);
        if (cyclic) return null;

        var shapes = new Dictionary<string, StepShape>(StringComparer.Ordinal);
        foreach (var step in order)
            shapes[step.Id] = ShapeOf(recipe, step, kinds, formats, shapes);

        // A step that reads an overlay reads its whole backing chain: it depends on every step of the chain, so
        // its key can include what the chain holds (an overlay rebuilt over a changed base is byte-identical).
        foreach (var step in recipe.Steps)
        {
            var list = (List<string>)deps[step.Id];
            foreach (var (_, _, input) in Inputs(step))
                foreach (var below in BackingChain(shapes, input.Value))
                    if (!list.Contains(below)) list.Add(below);
        }
        return new RecipeGraph(recipe, deps, order, shapes);
    }

    /// <summary>The steps below a step's output in its backing chain, nearest first.</summary>
    public static IEnumerable<string> BackingChain(IReadOnlyDictionary<string, StepShape> shapes, string id)
    {
        int guard = shapes.Count;
        for (string? b = shapes[id].BackingStep; b is not null && guard-- > 0; b = shapes[b].BackingStep)
            yield return b;
    }

    /// <summary>The probed format of an existing file, or null when it is unreadable or a format the engine cannot read.</summary>
    private static string? KnownProbe(string file, FormatRegistry formats) =>
        ImageOpener.ProbeFile(formats, file) is { } f and not UnsupportedFormat ? f.Name : null;

    private static StepShape ShapeOf(Recipe recipe, RecipeStep step, StepKinds kinds, FormatRegistry formats, Dictionary<string, StepShape> shapes)
    {
        if (kinds.Find(step.Kind) is { External: true })
        {
            // The existing file itself, by absolute path; its format is probed now when not given, as the run would,
            // so that the outputs derived from it are named after their format (a qcow2 image's overlay: .qcow2).
            string file = recipe.ResolveFile(step.Text("file")!);
            return new StepShape(step.Text("format") ?? KnownProbe(file, formats), null, file);
        }
        if (kinds.Find(step.Kind) is { ProducesArtifact: true } artifact)
            return new StepShape(null, null, step.Text("output") ?? artifact.DefaultOutputName?.Invoke(step, shapes) ?? step.Id) { Artifact = true };
        StepShape? from = step.Text("from") is { } f ? shapes[f] : null;
        (string? format, string? backing) = step.Kind switch
        {
            _ when kinds.Find(step.Kind)?.OutputFormat is { } fixedFormat => (fixedFormat, null),
            "create" => (step.Text("format") ?? "raw", null),
            "overlay" => (step.Text("format") ?? formats.Preferred(FormatFeatures.Backing)?.Name, step.Text("from")),
            "write" or "apply" or "resize" or "snapshot" => (from?.Format, from?.BackingStep),
            "rebase" => (from?.Format, step.Text("backing")),
            "commit" => from?.BackingStep is { } b ? (shapes[b].Format, shapes[b].BackingStep) : (null, null),
            "convert" => (step.Text("format"), null),
            "compress" => (step.Text("format") ?? formats.Preferred(FormatFeatures.CompressedWrites)?.Name, null),
            _ => (null, null),
        };
        string? output = null;
        if (kinds.Find(step.Kind) is { ProducesImage: true })
            output = step.Text("output") ?? $"{step.Id}.{(format is null ? "img" : formats.ExtensionOf(format))}";
        return new StepShape(format, backing, output);
    }
}
