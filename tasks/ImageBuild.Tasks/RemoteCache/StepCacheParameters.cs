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
    /// no parameter is set, or with an error naming the parameter (<see cref="StepCacheSettings.FromHost"/>).
    /// </summary>
    public StepCacheSettings? ToSettings(string baseDirectory, out string? error) =>
        StepCacheSettings.FromHost(Cache, CacheFrom, CacheTo, CacheRequired, RegistryPlainHttp, RegistryCaFile, RegistryConfig, baseDirectory, out error);
}
