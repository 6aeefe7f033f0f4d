namespace ImageBuild.Recipes.Cache.Remote;

/// <summary>
/// What a step cache is named by: <c>oci://HOST[:PORT]/REPO</c>, a repository without tag or digest (the step keys
/// give the tags).
/// </summary>
public static class StepCacheReference
{
    /// <summary>Why <paramref name="text"/> does not name a step cache; null when it does.</summary>
    public static string? Problem(string text)
    {
        if (!ImageBuild.Oci.Registry.OciReference.TryParse(text, out var reference, out string? error))
            return error ?? $"'{text}' is not a registry reference (oci://HOST[:PORT]/REPO)";
        if (reference!.Tag is not null || reference.Digest is not null)
            return $"'{text}' names a tag or digest; a step cache is a repository (oci://HOST[:PORT]/REPO), its tags are the step keys";
        return null;
    }
}
