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
}
