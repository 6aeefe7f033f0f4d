using ImageBuild.Recipes.Model;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ImageBuild.Recipes.Loading;

/// <summary>
/// Refuses absurdly nested YAML before anything recursive sees it: YamlDotNet's node loader recurses once per
/// level, so 50,000 nested '[' or '{a: ' overflow the stack and kill the process (and any MSBuild or Cake process
/// loading the recipe). This walks the parser's event stream, which is iterative, counting open mappings and
/// sequences; an alias counts as deep as the anchored node it repeats, wherever it is used. An alias inside the node
/// that carries its anchor (<c>{&amp;a [*a]: 1}</c>) is a cycle, on which the loader recurses without end, and is
/// refused where it stands. Malformed input on which YamlDotNet gives up with a .NET exception instead of a
/// YamlException (NUL bytes, a stray flow indicator: found by fuzzing) is reported where the parser stopped.
/// </summary>
internal static class YamlStructureGuard
{
    /// <summary>Far beyond any real recipe (a step's options sit at depth 4), far below what overflows a stack.</summary>
    public const int MaxDepth = 64;

    /// <summary>Throws <see cref="RecipeException"/> at the first node that nests deeper than <see cref="MaxDepth"/>.</summary>
    public static void Check(string text, string path)
    {
        var parser = new Parser(new StringReader(text));
        // Each open anchored collection: its name, the depth it opened at, and the deepest depth seen inside it.
        var open = new Stack<(string? Anchor, int Depth, int Deepest)>();
        var anchors = new Dictionary<string, int>(StringComparer.Ordinal);
        int depth = 0;
        try
        {
            while (parser.MoveNext())
            {
                var e = parser.Current!;
                switch (e)
                {
                    case MappingStart or SequenceStart:
                    {
                        depth++;
                        Reach(depth, e.Start);
                        var anchor = ((NodeEvent)e).Anchor;
                        open.Push((anchor.IsEmpty ? null : anchor.Value, depth, depth));
                        break;
                    }
                    case MappingEnd or SequenceEnd:
                    {
                        var (anchor, at, deepest) = open.Pop();
                        depth--;
                        if (anchor is not null) anchors[anchor] = deepest - at + 1;
                        if (open.Count > 0 && deepest > open.Peek().Deepest)
                            open.Push(open.Pop() with { Deepest = deepest });
                        break;
                    }
                    case AnchorAlias alias when open.Any(o => o.Anchor == alias.Value.Value):
                        throw new RecipeException([new RecipeError(path, (int)e.Start.Line, (int)e.Start.Column,
                            $"alias '*{alias.Value.Value}' refers to a node that contains it")]);
                    case AnchorAlias alias:
                        Reach(depth + anchors.GetValueOrDefault(alias.Value.Value), e.Start);
                        break;
                }
            }
        }
        catch (YamlException ye)
        {
            throw new RecipeException([RecipeLoader.YamlError(ye, text, path)]);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            var at = parser.Current?.Start;
            throw new RecipeException([new RecipeError(path, (int)(at?.Line ?? 1), (int)(at?.Column ?? 1), "malformed YAML: the parser cannot read on from here")]);
        }

        void Reach(int level, YamlDotNet.Core.Mark at)
        {
            if (level > MaxDepth)
                throw new RecipeException([new RecipeError(path, (int)at.Line, (int)at.Column,
                    $"the recipe nests mappings and lists more than {MaxDepth} levels deep")]);
            // The deepest level inside the innermost open collection (passed outwards as it closes), so an alias to an
            // anchored collection counts in full.
            if (open.Count > 0 && level > open.Peek().Deepest)
                open.Push(open.Pop() with { Deepest = level });
        }
    }
}
