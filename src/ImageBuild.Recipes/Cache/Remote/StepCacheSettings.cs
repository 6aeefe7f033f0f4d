namespace ImageBuild.Recipes.Cache.Remote;

/// <summary>
/// Where a run looks its steps up before building them and where it pushes what it built: a step cache on an OCI
/// registry, as BuildKit's <c>--cache-from</c>/<c>--cache-to</c> (and <c>--cache</c> for both). A host's settings
/// replace the recipe's <c>cache:</c> section field by field.
/// </summary>
public sealed record StepCacheSettings
{
    /// <summary>oci://HOST[:PORT]/REPO that steps are looked up in (read); null: no lookups.</summary>
    public string? From { get; init; }

    /// <summary>oci://HOST[:PORT]/REPO that built steps are pushed to (write); null: nothing is pushed.</summary>
    public string? To { get; init; }

    /// <summary>
    /// A registry that cannot be reached, refuses a push or serves something untrusted fails the step; without it
    /// that is a warning and the step is built (or kept) locally.
    /// </summary>
    public bool Required { get; init; }

    /// <summary>Plain HTTP instead of HTTPS; accepted for loopback registries only (a local test registry).</summary>
    public bool PlainHttp { get; init; }

    /// <summary>A PEM file of certificate authorities trusted besides the system's (a private registry's CA).</summary>
    public string? CaFile { get; init; }

    /// <summary>A credentials file in Docker's config.json or Podman's auth.json form, read before the usual places.</summary>
    public string? AuthFile { get; init; }

    /// <summary>Whether any lookup or push is asked for.</summary>
    public bool IsEnabled => From is not null || To is not null;

    /// <summary>
    /// These settings (a host's: command line, MSBuild, Cake) over <paramref name="recipe"/>'s <c>cache:</c>, field by
    /// field: a reference or file given here replaces the recipe's; a switch set on either side is set.
    /// </summary>
    public StepCacheSettings Over(StepCacheSettings? recipe) => recipe is null ? this : new StepCacheSettings
    {
        From = From ?? recipe.From,
        To = To ?? recipe.To,
        Required = Required || recipe.Required,
        PlainHttp = PlainHttp || recipe.PlainHttp,
        CaFile = CaFile ?? recipe.CaFile,
        AuthFile = AuthFile ?? recipe.AuthFile,
    };

    /// <summary>
    /// The settings a host's parameters give (MSBuild's, Cake's; what <c>imagebuild run</c>'s options give):
    /// <paramref name="cache"/> names the registry both ways, <paramref name="cacheFrom"/>/<paramref name="cacheTo"/>
    /// replace it for one direction; files are resolved against <paramref name="baseDirectory"/>; blank values count as
    /// unset (MSBuild passes an unset property as ""). Null when nothing is set, so that the recipe's own <c>cache:</c>
    /// applies as it is; null and <paramref name="error"/> ("PARAMETER: why") when a reference names no step cache.
    /// </summary>
    public static StepCacheSettings? FromHost(string? cache, string? cacheFrom, string? cacheTo, bool required, bool plainHttp,
        string? caFile, string? authFile, string baseDirectory, out string? error)
    {
        error = null;
        foreach (var (name, value) in new[] { ("Cache", cache), ("CacheFrom", cacheFrom), ("CacheTo", cacheTo) })
            if (Given(value) is { } text && StepCacheReference.Problem(text) is { } problem)
            {
                error = $"{name}: {problem}";
                return null;
            }
        string? from = Given(cacheFrom) ?? Given(cache), to = Given(cacheTo) ?? Given(cache);
        string? ca = Given(caFile), auth = Given(authFile);
        if (from is null && to is null && !required && !plainHttp && ca is null && auth is null) return null;
        return new StepCacheSettings
        {
            From = from,
            To = to,
            Required = required,
            PlainHttp = plainHttp,
            CaFile = ca is null ? null : Path.GetFullPath(ca, baseDirectory),
            AuthFile = auth is null ? null : Path.GetFullPath(auth, baseDirectory),
        };
    }

    private static string? Given(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
