namespace ImageBuild.Oci.Registry;

/// <summary>How a <see cref="RegistryClient"/> reaches its registry: transport, trust, credentials, retries.</summary>
public sealed record RegistryOptions
{
    /// <summary>http:// instead of https://; refused unless the registry is loopback.</summary>
    public bool PlainHttp { get; init; }

    /// <summary>Extra PEM CA certificate(s) trusted besides the system store.</summary>
    public string? CaFile { get; init; }

    /// <summary>Explicit credentials file (docker config.json or podman auth.json format).</summary>
    public string? AuthFile { get; init; }

    /// <summary>Where environment variables are read (credentials, credential files' locations, PATH for helpers).</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>Attempts per request on 5xx, 429, connection refused/reset and timeouts.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>First wait between attempts; doubles each time, capped, and Retry-After is honoured.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Size of the PATCH requests of chunked uploads (buffered in arrays of at most 8 MiB, so that a failed PATCH can
    /// be sent again): one 8 MiB array per upload by default, which keeps concurrent uploads within a bounded heap.
    /// </summary>
    public long ChunkSize { get; init; } = 8 << 20;

    /// <summary>How long a request may go without progress before it is abandoned (and retried).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Receives one line per retry.</summary>
    public Action<string>? Warning { get; init; }

    /// <summary>The HTTP handler (tests inject faults); null = <see cref="RegistryHttpHandler.Create"/> of these options.</summary>
    public HttpMessageHandler? Handler { get; init; }
}
