using ImageBuild.Engine;
using ImageBuild.Recipes.Hosting;
using Microsoft.Build.Framework;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace ImageBuild.Tasks;

/// <summary>
/// What every ImageBuild task shares: cancellation (Ctrl+C in the build → the request's CancellationToken, which the
/// host honours between steps and inside long engine operations), host diagnostics logged as coded errors with the
/// recipe's file, line and column, and paths resolved against the project directory, never the process's current
/// directory (MSBuild may run several projects in one process).
/// </summary>
public abstract class ImageBuildTask : MSBuildTask, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    /// <summary>Relative paths are relative to this folder; the targets pass $(MSBuildProjectDirectory).
    /// Default: the folder of the project file that calls the task.</summary>
    public string? ProjectDirectory { get; set; }

    /// <summary>
    /// Secrets that options name (<c>key-secret</c>, <c>encrypt.key-secret</c>), the targets pass @(ImageBuildSecret): the
    /// item's identity is the secret's id, and exactly one metadata says where its value is: <c>EnvironmentVariable</c>
    /// (a variable's name) or <c>File</c> (relative to the project). A secret of the same id in a recipe is replaced.
    /// </summary>
    public ITaskItem[] Secrets { get; set; } = [];

    protected CancellationToken Cancellation => _cancel.Token;

    /// <summary>The <see cref="Secrets"/> items as the host API takes them; null after logging a malformed item.</summary>
    protected IReadOnlyList<ImageBuild.Recipes.Model.RecipeSecret>? SecretSources()
    {
        var list = new List<ImageBuild.Recipes.Model.RecipeSecret>();
        foreach (var item in Secrets)
        {
            string? error = null;
            if (item.GetMetadata("Value").Length > 0 || item.GetMetadata("Data").Length > 0)
                error = $"secret '{item.ItemSpec}': a secret's value is never written in the project; give EnvironmentVariable or File metadata";
            else if (HostSecrets.Describe(item.ItemSpec, item.GetMetadata("EnvironmentVariable"), item.GetMetadata("File"), BaseDirectory, out error) is { } secret)
                list.Add(secret);
            if (error is not null)
            {
                Log.LogError(null, DiagnosticCodes.InvalidOperation, null, null, 0, 0, 0, 0,
                    error.Replace("an environment variable or a file", "EnvironmentVariable or File metadata", StringComparison.Ordinal));
                return null;
            }
        }
        return list;
    }

    /// <summary>The folder relative paths resolve against.</summary>
    protected string BaseDirectory =>
        !string.IsNullOrEmpty(ProjectDirectory) ? Path.GetFullPath(ProjectDirectory)
        : BuildEngine?.ProjectFileOfTaskNode is { Length: > 0 } project ? Path.GetDirectoryName(Path.GetFullPath(project))!
        : Environment.CurrentDirectory;

    public void Cancel() => _cancel.Cancel();

    public sealed override bool Execute()
    {
        try
        {
            ExecuteCore();
        }
        catch (OperationCanceledException)
        {
            Log.LogError(null, DiagnosticCodes.Cancelled, null, null, 0, 0, 0, 0, "cancelled");
        }
        catch (ImageException e)
        {
            Log.LogError(null, DiagnosticCodes.StepFailed, null, null, 0, 0, 0, 0, e.Message);
        }
        catch (IOException e)
        {
            Log.LogError(null, DiagnosticCodes.OutputUnavailable, null, null, 0, 0, 0, 0, e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            Log.LogError(null, DiagnosticCodes.OutputUnavailable, null, null, 0, 0, 0, 0, e.Message);
        }
        return !Log.HasLoggedErrors;
    }

    protected abstract void ExecuteCore();

    /// <summary>Logs each diagnostic as an error MSBuild prints as "file(line,col): error IMGB1001: message".</summary>
    protected void LogDiagnostics(HostResult result)
    {
        foreach (var d in result.Diagnostics)
            Log.LogError(null, d.Code, null, d.File, d.Line, d.Column, 0, 0, d.Message);
        if (!result.Succeeded && result.Diagnostics.Count == 0)
            Log.LogError(null, DiagnosticCodes.StepFailed, null, null, 0, 0, 0, 0, "the image build failed without saying why");
    }

    protected string? FullPath(string? path) =>
        string.IsNullOrEmpty(path) ? null : Path.GetFullPath(path, BaseDirectory);
}
