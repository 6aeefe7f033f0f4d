namespace Cake.ImageBuild.Hosting;

/// <summary>Whether a cache parameter names a registry repository: oci://HOST[:PORT]/REPO, without a tag or digest.</summary>
internal static class CacheReference
{
    private const string Scheme = "oci://";

    public static bool IsValid(string text, out string? why)
    {
        why = null;
        if (!text.StartsWith(Scheme, StringComparison.Ordinal))
            why = "write oci://HOST[:PORT]/REPO";
        else if (text.AsSpan(Scheme.Length).IndexOf('/') is var slash && slash <= 0 || slash == text.Length - Scheme.Length - 1)
            why = "write oci://HOST[:PORT]/REPO";
        return why is null;
    }
}
