namespace ImageBuild.Oci.Registry;

/// <summary>
/// A user name and secret for one registry, and where they came from (a variable's or file's name, shown in errors
/// instead of the credentials themselves). <see cref="ToString"/> never shows the user name or the secret.
/// </summary>
internal sealed record RegistryCredential(string Username, string Secret, string Source)
{
    /// <summary>
    /// An OAuth2 refresh token (docker's <c>identitytoken</c>, or a helper's answer with user name
    /// <c>&lt;token&gt;</c>): exchanged at the token service by POST instead of sending the user name and secret.
    /// </summary>
    public string? IdentityToken { get; init; }

    public override string ToString() => "credentials from " + Source;
}
