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
        // oci://USER:PASSWORD@HOST/...: refused without repeating it, since it may hold a password.
        int start = text.StartsWith("oci://", StringComparison.OrdinalIgnoreCase) ? "oci://".Length : 0;
        int slash = text.IndexOf('/', start);
        if (text.AsSpan(start, (slash < 0 ? text.Length : slash) - start).Contains('@'))
            return "a registry reference holds no credentials (give them in a credentials file or the environment)";
        if (!ImageBuild.Oci.Registry.OciReference.TryParse(text, out var reference, out string? error))
            return error ?? $"'{text}' is not a registry reference (oci://HOST[:PORT]/REPO)";
        if (reference!.Tag is not null || reference.Digest is not null)
            return $"'{text}' names a tag or digest; a step cache is a repository (oci://HOST[:PORT]/REPO), its tags are the step keys";
        return null;
    }
}
