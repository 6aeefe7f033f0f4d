namespace ImageBuild.Oci.Registry;

/// <summary>Why a registry operation failed.</summary>
public enum RegistryFailure
{
    /// <summary>The registry could not be reached, or kept failing (5xx, 429, resets) after every attempt.</summary>
    Unreachable,
    /// <summary>401: no credentials, or the credentials were refused.</summary>
    Unauthorized,
    /// <summary>403: authenticated but not allowed.</summary>
    Denied,
    /// <summary>404: the repository, blob, manifest or upload does not exist.</summary>
    NotFound,
    /// <summary>Refused by the registry (another 4xx) or by this client's own rules (plain HTTP to a remote host).</summary>
    Refused,
    /// <summary>Content whose size or digest does not match what was asked for.</summary>
    Corrupt,
    /// <summary>A response this client cannot understand.</summary>
    Protocol,
}
