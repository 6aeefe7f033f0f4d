using System.Text.RegularExpressions;

namespace ImageBuild.Tests.Shared;

/// <summary>One fenced code block of a Markdown file with the doc-test marker before it:
/// <c>&lt;!-- doc-test: KIND [ARGUMENT] (comment) --&gt;</c>.</summary>
public sealed record DocBlock(string File, int Line, string Kind, string? Argument, string Text)
{
    /// <summary>The text with every <c>/tmp/imagebuild-</c> folder of the docs moved under <paramref name="root"/>,
    /// so that tests running at once never share a folder (or a user's) with each other.</summary>
    public string InFolder(string root) => Text.Replace("/tmp/imagebuild-", Path.Combine(root, "tmp-imagebuild-"), StringComparison.Ordinal);
}

/// <summary>
/// Reads the code blocks of the README files, each of which must say what it is (the doc-test marker on the line
/// right before its fence), so a test runs exactly the blocks meant to be run and a new block cannot go unnoticed.
/// </summary>
public static partial class DocBlocks
{
    public static readonly string[] Kinds = ["none", "file", "sh", "recipe", "platform-recipe", "install-global", "install-local", "msbuild-target", "cake"];

    public static IReadOnlyList<DocBlock> Read(string path)
    {
        string[] lines = System.IO.File.ReadAllLines(path);
        var blocks = new List<DocBlock>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("```", StringComparison.Ordinal))
                continue;
            int open = i;
            int close = Array.FindIndex(lines, open + 1, l => l.StartsWith("```", StringComparison.Ordinal));
            if (close < 0)
                throw new AssertFailedException($"{path}:{open + 1}: a code block is never closed");
            var marker = open > 0 ? Marker().Match(lines[open - 1]) : Match.Empty;
            if (!marker.Success)
                throw new AssertFailedException($"{path}:{open + 1}: a code block without a doc-test marker on the line before it ('<!-- doc-test: KIND ... -->'; KIND one of {string.Join(", ", Kinds)})");
            string kind = marker.Groups["kind"].Value;
            if (!Kinds.Contains(kind))
                throw new AssertFailedException($"{path}:{open}: unknown doc-test kind '{kind}'");
            string? argument = marker.Groups["arg"].Success ? marker.Groups["arg"].Value : null;
            blocks.Add(new DocBlock(path, open + 1, kind, argument, string.Join('\n', lines[(open + 1)..close]) + "\n"));
            i = close;
        }
        return blocks;
    }

    public static DocBlock Single(IEnumerable<DocBlock> blocks, string kind, string? argument = null) =>
        blocks.Single(b => b.Kind == kind && (argument is null || b.Argument == argument));

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "ImageBuild.sln")))
                return dir.FullName;
        throw new AssertFailedException("ImageBuild.sln not found above " + AppContext.BaseDirectory);
    }

    public static IReadOnlyList<DocBlock> Readme() => Read(Path.Combine(RepositoryRoot(), "README.md"));

    public static IReadOnlyList<DocBlock> RecipesReadme() => Read(Path.Combine(RepositoryRoot(), "recipes", "README.md"));

    /// <summary>Copies the repository's recipes/ folder (without the outputs of earlier runs) to DIR/recipes.</summary>
    public static void CopyRecipes(string dir)
    {
        string from = Path.Combine(RepositoryRoot(), "recipes");
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(from, file);
            if (relative.StartsWith("out" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                continue;
            string to = Path.Combine(dir, "recipes", relative);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            System.IO.File.Copy(file, to);
        }
    }

    [GeneratedRegex(@"^<!-- doc-test: (?<kind>[a-z-]+)(?: (?<arg>[^\s(]+))?(?: \(.*\))? -->$")]
    private static partial Regex Marker();
}
