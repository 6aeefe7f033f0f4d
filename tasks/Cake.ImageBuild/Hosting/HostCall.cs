using Cake.Core;
using Cake.Core.IO;
using ImageBuild.Recipes.Hosting;

namespace Cake.ImageBuild.Hosting;

/// <summary>Calls into ImageBuild.Recipes.Hosting and turns its diagnostics into Cake failures.</summary>
internal static class HostCall
{
    /// <summary>Runs <paramref name="call"/>; any failure (diagnostics or an unexpected exception) becomes a <see cref="CakeException"/> naming <paramref name="what"/>.</summary>
    public static HostResult Run(string what, Func<HostResult> call)
    {
        HostResult result;
        try
        {
            result = call();
        }
        catch (Exception e) when (e is not CakeException and not OperationCanceledException)
        {
            throw new CakeException($"{what} failed: {e.Message}", e);
        }
        if (!result.Succeeded)
            throw new CakeException(FailureMessage(what, result.Diagnostics));
        return result;
    }

    /// <summary>"WHAT failed: file:line:col: message" for one diagnostic; one line per diagnostic below a header for several.</summary>
    public static string FailureMessage(string what, IReadOnlyList<HostDiagnostic> diagnostics)
    {
        if (diagnostics.Count == 0) return $"{what} failed";
        if (diagnostics.Count == 1) return $"{what} failed: {Format(diagnostics[0])}";
        return $"{what} failed ({diagnostics.Count} errors):" + string.Concat(diagnostics.Select(d => "\n  " + Format(d)));
    }

    /// <summary>"file:line:col: message [CODE]", the place left out when the diagnostic has none.</summary>
    public static string Format(HostDiagnostic d)
    {
        string place = d.File is null ? "" : d.Line > 0 ? $"{d.File}:{d.Line}:{d.Column}: " : $"{d.File}: ";
        return $"{place}{d.Message} [{d.Code}]";
    }

    /// <summary>The settings' secrets as the host API takes them; a malformed one fails the alias (IMGB1004).</summary>
    public static IReadOnlyList<global::ImageBuild.Recipes.Model.RecipeSecret> Secrets(ICakeContext context, string what, IEnumerable<ImageBuildSecret> secrets)
    {
        var list = new List<global::ImageBuild.Recipes.Model.RecipeSecret>();
        foreach (var s in secrets)
        {
            // A file by the path as given, relative to the working directory: its identity does not depend on where the build runs.
            var secret = HostSecrets.Describe(s.Id, s.EnvironmentVariable, s.File?.FullPath, context.Environment.WorkingDirectory.FullPath, out var error);
            if (secret is null)
                throw new CakeException($"{what} failed: {error} [{DiagnosticCodes.InvalidOperation}]");
            list.Add(secret);
        }
        return list;
    }

    public static string Absolute(ICakeContext context, FilePath path) => path.MakeAbsolute(context.Environment).FullPath;

    public static string Absolute(ICakeContext context, DirectoryPath path) => path.MakeAbsolute(context.Environment).FullPath;
}
