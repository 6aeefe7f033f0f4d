namespace ImageBuild.Tests.Shared;

/// <summary>How a <see cref="TestRegistry"/> is started.</summary>
public sealed record TestRegistryOptions
{
    /// <summary>Serve HTTPS with a server certificate for 127.0.0.1 and localhost signed by a CA made for the test (TestRegistry.CaFile).</summary>
    public bool Tls { get; init; }

    /// <summary>Users and passwords for htpasswd basic auth (bcrypt, made with htpasswd -Bbn); null or empty = anonymous.</summary>
    public IReadOnlyDictionary<string, string>? Users { get; init; }
}
