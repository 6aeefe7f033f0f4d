namespace ImageBuild.Oci.Registry;

/// <summary>
/// A failed registry operation. The message is one line starting with the reference ("oci://host/repo: ...") and
/// never contains credentials.
/// </summary>
public sealed class RegistryException : Exception
{
    public RegistryException(RegistryFailure kind, string message, int? statusCode = null)
        : base(message)
    {
        Kind = kind;
        StatusCode = statusCode;
    }

    public RegistryException(RegistryFailure kind, string message, int? statusCode, Exception? innerException)
        : base(message, innerException)
    {
        Kind = kind;
        StatusCode = statusCode;
    }

    public RegistryException() : this(RegistryFailure.Protocol, "registry operation failed") { }

    public RegistryException(string message) : this(RegistryFailure.Protocol, message) { }

    public RegistryException(string message, Exception innerException) : this(RegistryFailure.Protocol, message, null, innerException) { }

    public RegistryFailure Kind { get; }

    public int? StatusCode { get; }
}
