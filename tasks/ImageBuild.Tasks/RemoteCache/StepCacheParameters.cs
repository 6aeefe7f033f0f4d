using ImageBuild.Recipes.Cache.Remote;

namespace ImageBuild.Tasks.RemoteCache;

/// <summary>
/// The remote step cache parameters of <see cref="BuildImageRecipes"/> (the targets' $(ImageBuildCache...) and
/// $(ImageBuildRegistry...) properties) as the host API takes them: <c>Cache</c> names the registry both ways (as
/// <c>imagebuild run --cache</c>), <c>CacheFrom</c>/<c>CacheTo</c> replace it for one direction. Nothing given: null,
/// so that the recipe's own <c>cache:</c> section applies as it is; the runner lays these over it field by field.
/// </summary>
internal sealed record StepCacheParameters
{
    public string? Cache { get; init; }
    public string? CacheFrom { get; init; }
    public string? CacheTo { get; init; }
    public bool CacheRequired { get; init; }
    public bool RegistryPlainHttp { get; init; }
    public string? RegistryCaFile { get; init; }
    public string? RegistryConfig { get; init; }

    /// <summary>
    /// The settings, with the files resolved against <paramref name="baseDirectory"/> (the project's folder); null when
    /// no parameter is set. A reference that names no registry repository (<see cref="StepCacheReference"/>, as the command line checks
    /// it) gives null and an error naming the parameter.
    /// </summary>
    public StepCacheSettings? ToSettings(string baseDirectory, out string? error)
    {
        error = null;
        string? from = Given(CacheFrom) ?? Given(Cache), to = Given(CacheTo) ?? Given(Cache);
        foreach (var (name, value) in new[] { ("Cache", Cache), ("CacheFrom", CacheFrom), ("CacheTo", CacheTo) })
            if (Given(value) is { } text && Problem(text) is { } problem)
            {
                error = $"{name}: {problem}";
                return null;
            }
        string? caFile = Given(RegistryCaFile), config = Given(RegistryConfig);
        if (from is null && to is null && !CacheRequired && !RegistryPlainHttp && caFile is null && config is null) return null;
        return new StepCacheSettings
        {
            From = from,
            To = to,
            Required = CacheRequired,
            PlainHttp = RegistryPlainHttp,
            CaFile = caFile is null ? null : Path.GetFullPath(caFile, baseDirectory),
            AuthFile = config is null ? null : Path.GetFullPath(config, baseDirectory),
        };
    }

    /// <summary>
    /// Why <paramref name="text"/> names no step cache; null when it does. A reference with user information before
    /// its host (oci://USER:PASSWORD@HOST/...) is refused without being repeated: it may hold a password.
    /// </summary>
    internal static string? Problem(string text)
    {
        int start = text.StartsWith("oci://", StringComparison.OrdinalIgnoreCase) ? "oci://".Length : 0;
        int slash = text.IndexOf('/', start);
        if (text.AsSpan(start, (slash < 0 ? text.Length : slash) - start).Contains('@'))
            return "a registry reference holds no credentials (give them in a credentials file or the environment)";
        return StepCacheReference.Problem(text);
    }

    /// <summary>MSBuild passes an unset property as an empty string.</summary>
    private static string? Given(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
