using System.Text.Json;
using System.Text.Json.Nodes;
using ImageBuild.Recipes.Cache;
using ImageBuild.Recipes.Model;

namespace ImageBuild.Recipes.Execution;

/// <summary>
/// The machine-readable account of a run, written as imagebuild-summary.json in the output directory: every step
/// with its status and reason, and for outputs (images, and artifacts: files that are not images) the type, path (relative to the output directory), format, virtual
/// size, file size and content hash; measured sizes for measure steps. No timestamps or host data.
/// </summary>
public static class RunSummary
{
    public static void Write(string path, Recipe recipe, IReadOnlyList<StepOutcome> steps, bool succeeded)
    {
        var list = new JsonArray();
        foreach (var s in steps)
        {
            var o = new JsonObject
            {
                ["id"] = s.Id,
                ["kind"] = s.Kind,
                ["status"] = s.Status.ToString().ToLowerInvariant(),
                ["reason"] = s.Reason,
            };
            if (s.Output is not null && s.Status is StepStatus.Ran or StepStatus.Skipped or StepStatus.Pulled)
            {
                o["output"] = new JsonObject
                {
                    // An image step's existing file: relative too, so the summary holds no host paths.
                    ["path"] = Path.IsPathRooted(s.Output) ? Path.GetRelativePath(Path.GetDirectoryName(Path.GetFullPath(path))!, s.Output) : s.Output,
                    ["type"] = s.Artifact ? "artifact" : "image",
                    ["format"] = s.Format,
                    ["virtualSize"] = s.VirtualSize,
                    ["fileSize"] = s.FileSize,
                    ["hash"] = s.Hash,
                };
                // An image of several files: each of them, the main file first (relative names, like path).
                if (s.OutputFiles.Count > 1)
                    o["output"]!["files"] = new JsonArray(s.OutputFiles.Select(f => (JsonNode)Path.GetFileName(f)).ToArray());
            }
            if (s.MeasuredRequired is not null)
            {
                o["measure"] = new JsonObject
                {
                    ["format"] = s.MeasuredFormat,
                    ["required"] = s.MeasuredRequired,
                    ["fullyAllocated"] = s.MeasuredFullyAllocated,
                };
            }
            if (s.Note is not null) o["note"] = s.Note;
            list.Add((JsonNode)o);
        }
        var root = new JsonObject
        {
            ["recipe"] = Path.GetFileName(recipe.File),
            ["name"] = recipe.Name,
            ["succeeded"] = succeeded,
            ["hashAlgorithm"] = "xxh128 over non-zero 4 KiB blocks (index + bytes) and the file length",
            ["steps"] = list,
        };
        AtomicFile.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
    }
}
