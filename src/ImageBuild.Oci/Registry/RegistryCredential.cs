namespace ImageBuild.Oci.Registry;

/// <summary>
/// A user name and secret for one registry, and where they came from (a variable's or file's name, shown in errors
/// instead of the credentials themselves). <see cref="ToString"/> never shows the user name or the secret.
/// </summary>
internal sealed record RegistryCredential(string Username, string Secret, string Source)
{
    public override string ToString() => "credentials from " + Source;
}
