using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ImageBuild.Oci.Artifacts;

namespace ImageBuild.Oci.Registry;

/// <summary>
/// A client of one repository of one registry (OCI distribution-spec v1.1): blobs (HEAD, push, pull) manifests (GET,
/// PUT, HEAD, DELETE) and tags, over HttpClient with authentication, retries and resumable transfers.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    /// <summary>Manifests larger than this are refused (distribution-spec recommends registries accept at least 4 MiB).</summary>
    public const int MaxManifestSize = 4 << 20;

    /// <summary>The manifest media types asked for, OCI first.</summary>
    public static readonly IReadOnlyList<string> ManifestMediaTypes =
    [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ];

    private readonly RegistryTransport _transport;
    private readonly Uri _base;

    public RegistryClient(OciReference repository, RegistryOptions options)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(options);
        Repository = repository with { Tag = null, Digest = null };
        if (!OciReference.TryParse(Repository.ToString(), out var parsed, out var error) || parsed != Repository)
            throw new RegistryException(RegistryFailure.Refused, error ?? $"'{Repository}' is not an OCI repository reference (lower-case registry host, repository name per distribution-spec)");
        if (options.PlainHttp && !repository.IsLoopback)
            throw new RegistryException(RegistryFailure.Refused,
                $"{Repository}: plain HTTP is refused for a registry that is not on this machine (only localhost, 127.x and [::1])");
        if (options.ChunkSize <= 0)
            throw new RegistryException(RegistryFailure.Refused, $"{Repository}: the chunk size {options.ChunkSize} is not positive");
        if (options.MaxAttempts <= 0)
            throw new RegistryException(RegistryFailure.Refused, $"{Repository}: MaxAttempts {options.MaxAttempts} is not positive");
        string host = repository.Registry == "docker.io" ? "registry-1.docker.io" : repository.Registry;
        // Docker Hub keeps its official images under library/ (docker.io/ubuntu is library/ubuntu).
        string path = repository.Registry == "docker.io" && !repository.Repository.Contains('/') ? "library/" + repository.Repository : repository.Repository;
        _base = new Uri($"{(options.PlainHttp ? "http" : "https")}://{host}/v2/{path}/");
        HttpMessageHandler handler;
        try
        {
            handler = options.Handler ?? RegistryHttpHandler.Create(options);
        }
        catch (RegistryException e)
        {
            throw new RegistryException(e.Kind, $"{Repository}: {e.Message}", e.StatusCode);
        }
        _transport = new RegistryTransport(Repository, options, handler, disposeHandler: options.Handler is null, _base);
    }

    /// <summary>The repository (without tag or digest).</summary>
    public OciReference Repository { get; }

    /// <summary>The blob's descriptor (media type application/octet-stream, size from the registry), or null on 404.</summary>
    public async Task<OciDescriptor?> HeadBlobAsync(string digest, CancellationToken ct)
    {
        RequireDigest(digest);
        string what = "blob HEAD " + digest;
        var response = await _transport.SendAsync(() => new HttpRequestMessage(HttpMethod.Head, new Uri(_base, "blobs/" + digest)), what, ct, followRedirects: true).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            response.Dispose();
            return null;
        }
        if (!response.IsSuccessStatusCode)
            throw await _transport.FailureAsync(response, what, ct).ConfigureAwait(false);
        using (response)
        {
            long size = response.Content.Headers.ContentLength
                ?? throw new RegistryException(RegistryFailure.Protocol, $"{Repository}: {what}: the registry's answer has no Content-Length");
            return new OciDescriptor("application/octet-stream", digest, size);
        }
    }

    /// <summary>
    /// Uploads content read once, sequentially (never seeks unless the registry loses the session): POST, PATCH
    /// chunks of ChunkSize (sha256 computed while sending), PUT ?digest=. When knownDigest is given: HEAD first (and a
    /// cross-repository mount from mountFrom when given) and return without reading when the registry has it. Content
    /// smaller than ChunkSize goes as one PUT. Returns the blob's descriptor (mediaType as given).
    /// </summary>
    public Task<OciDescriptor> PushBlobAsync(Stream content, string mediaType, CancellationToken ct,
        string? knownDigest = null, long? knownSize = null, string? mountFrom = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentException.ThrowIfNullOrEmpty(mediaType);
        return new BlobUploader(_transport, this, _base).PushAsync(content, mediaType, ct, knownDigest, knownSize, mountFrom);
    }

    /// <summary>
    /// Streams the blob into destination (written sequentially, never seeked), checking size and sha256 as it goes;
    /// after a broken connection it resumes with Range from the bytes already written. A mismatch throws
    /// RegistryException with Kind = Corrupt (the caller discards what was written).
    /// </summary>
    public Task PullBlobAsync(OciDescriptor blob, Stream destination, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(destination);
        return new BlobDownloader(_transport, _base).PullAsync(blob, destination, ct);
    }

    /// <summary>
    /// The manifest, or null on 404; its digest is checked when the reference is a digest. A connection broken while
    /// the body is read is retried like any other transient failure.
    /// </summary>
    public async Task<ManifestResponse?> GetManifestAsync(string reference, CancellationToken ct)
    {
        RequireReference(reference);
        string what = "manifest GET " + reference;
        for (int attempt = 1; ; attempt++)
        {
            var response = await _transport.SendAsync(() => ManifestRequest(HttpMethod.Get, reference), what, ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                response.Dispose();
                return null;
            }
            if (response.StatusCode != HttpStatusCode.OK)
                throw await _transport.FailureAsync(response, what, ct).ConfigureAwait(false);
            string reason;
            using (response)
            {
                try
                {
                    byte[] content = await RegistryTransport.ReadLimitedAsync(response, MaxManifestSize, ct, _transport.Options.Timeout).ConfigureAwait(false)
                        ?? throw new RegistryException(RegistryFailure.Refused, $"{Repository}: {what}: the manifest is larger than 4 MiB");
                    string digest = OciDigest.Of(content);
                    if (OciDigest.IsValid(reference) && digest != reference)
                        throw new RegistryException(RegistryFailure.Corrupt, $"{Repository}@{reference}: the registry served a manifest whose digest is {digest}");
                    string mediaType = response.Content.Headers.ContentType?.MediaType ?? MediaTypeOf(content)
                        ?? throw new RegistryException(RegistryFailure.Protocol, $"{Repository}: {what}: the manifest has no media type");
                    return new ManifestResponse(content, mediaType, digest);
                }
                catch (Exception e) when (e is not RegistryException && RegistryTransport.IsTransient(e, ct))
                {
                    reason = RegistryTransport.Describe(e);
                    if (attempt >= _transport.Options.MaxAttempts)
                        throw new RegistryException(RegistryFailure.Unreachable, $"{Repository}: {what} failed: {reason} (after {attempt} attempts)", null, e);
                }
            }
            await _transport.BackoffAsync(attempt, null, what, reason, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The manifest's descriptor (size and digest as the registry reports them), or null on 404.</summary>
    public async Task<OciDescriptor?> HeadManifestAsync(string reference, CancellationToken ct)
    {
        RequireReference(reference);
        string what = "manifest HEAD " + reference;
        var response = await _transport.SendAsync(() => ManifestRequest(HttpMethod.Head, reference), what, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            response.Dispose();
            return null;
        }
        if (response.StatusCode != HttpStatusCode.OK)
            throw await _transport.FailureAsync(response, what, ct).ConfigureAwait(false);
        using (response)
        {
            string? digest = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.First() : null;
            if (digest is null && OciDigest.IsValid(reference)) digest = reference;
            if (digest is null || !OciDigest.IsValid(digest))
                throw new RegistryException(RegistryFailure.Protocol, $"{Repository}: {what}: the registry's answer has no sha256 Docker-Content-Digest");
            long size = response.Content.Headers.ContentLength
                ?? throw new RegistryException(RegistryFailure.Protocol, $"{Repository}: {what}: the registry's answer has no Content-Length");
            return new OciDescriptor(response.Content.Headers.ContentType?.MediaType ?? "application/octet-stream", digest, size);
        }
    }

    /// <summary>Stores the manifest under the reference (a tag, or its own digest) and returns its digest.</summary>
    public async Task<string> PutManifestAsync(string reference, ReadOnlyMemory<byte> manifest, string mediaType, CancellationToken ct)
    {
        RequireReference(reference);
        ArgumentException.ThrowIfNullOrEmpty(mediaType);
        if (manifest.Length > MaxManifestSize)
            throw new RegistryException(RegistryFailure.Refused, $"{Repository}: manifest PUT {reference}: the manifest is larger than 4 MiB");
        string digest = OciDigest.Of(manifest.Span);
        if (OciDigest.IsValid(reference) && reference != digest)
            throw new RegistryException(RegistryFailure.Corrupt, $"{Repository}: manifest PUT {reference}: the manifest's digest is {digest}");
        string what = "manifest PUT " + reference;
        HttpResponseMessage response;
        for (int attempt = 1; ; attempt++)
        {
            response = await _transport.SendAsync(() =>
            {
                var request = new HttpRequestMessage(HttpMethod.Put, ManifestUri(reference)) { Content = new ReadOnlyMemoryContent(manifest) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
                return request;
            }, what, ct).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK or HttpStatusCode.Accepted) break;
            var failure = await _transport.FailureAsync(response, what, ct).ConfigureAwait(false);
            // Two clients storing the same manifest at once: the CNCF distribution server (filesystem storage) can
            // read back the other writer's half-written copy and answer DIGEST_INVALID although the bytes sent match
            // their digest (checked above). The other writer has finished by the time a second PUT arrives.
            if (attempt == 1 && failure.StatusCode == 400 && failure.Message.Contains("DIGEST_INVALID", StringComparison.Ordinal))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), ct).ConfigureAwait(false);
                continue;
            }
            throw failure;
        }
        using (response)
        {
            if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && values.First() is { } answered && answered != digest)
                throw new RegistryException(RegistryFailure.Corrupt, $"{Repository}: {what}: the registry stored {answered} instead of {digest}");
        }
        return digest;
    }

    /// <summary>Deletes a manifest by digest; false when it did not exist.</summary>
    public async Task<bool> DeleteManifestAsync(string digest, CancellationToken ct)
    {
        RequireDigest(digest);
        string what = "manifest DELETE " + digest;
        var response = await _transport.SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, ManifestUri(digest)), what, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            response.Dispose();
            return false;
        }
        if (!response.IsSuccessStatusCode)
            throw await _transport.FailureAsync(response, what, ct).ConfigureAwait(false);
        response.Dispose();
        return true;
    }

    /// <summary>The repository's tags, in the registry's order, every page (Link rel="next") followed; empty when the repository does not exist.</summary>
    public async Task<IReadOnlyList<string>> ListTagsAsync(CancellationToken ct)
    {
        var tags = new List<string>();
        Uri? next = new(_base, "tags/list");
        for (int page = 0; next is not null; page++)
        {
            if (page > 10_000)
                throw new RegistryException(RegistryFailure.Protocol, $"{Repository}: tag list: more than 10000 pages");
            var uri = next;
            var response = await _transport.SendAsync(() =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, uri);
                RegistryTransport.AcceptJson(request);
                return request;
            }, "tag list", ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                response.Dispose();
                return tags;
            }
            if (response.StatusCode != HttpStatusCode.OK)
                throw await _transport.FailureAsync(response, "tag list", ct).ConfigureAwait(false);
            using (response)
            {
                byte[] body = await RegistryTransport.ReadLimitedAsync(response, 4 << 20, ct, _transport.Options.Timeout).ConfigureAwait(false)
                    ?? throw new RegistryException(RegistryFailure.Protocol, $"{Repository}: tag list: a page larger than 4 MiB");
                try
                {
                    using var document = JsonDocument.Parse(body);
                    if (document.RootElement.ValueKind == JsonValueKind.Object
                        && document.RootElement.TryGetProperty("tags", out var array) && array.ValueKind == JsonValueKind.Array)
                        foreach (var tag in array.EnumerateArray())
                            if (tag.ValueKind == JsonValueKind.String) tags.Add(tag.GetString()!);
                }
                catch (JsonException)
                {
                    throw new RegistryException(RegistryFailure.Protocol, $"{Repository}: tag list: the registry's answer is not JSON");
                }
                next = NextPage(response, uri);
            }
        }
        return tags;
    }

    private static Uri? NextPage(HttpResponseMessage response, Uri current)
    {
        if (!response.Headers.TryGetValues("Link", out var links)) return null;
        foreach (var link in links)
            foreach (var part in link.Split(','))
            {
                int open = part.IndexOf('<'), close = part.IndexOf('>');
                if (open < 0 || close < open || !part[close..].Contains("rel=\"next\"", StringComparison.OrdinalIgnoreCase)) continue;
                string target = part[(open + 1)..close];
                if (Uri.TryCreate(current, target, out var uri) && uri.Authority == current.Authority) return uri;
            }
        return null;
    }

    private HttpRequestMessage ManifestRequest(HttpMethod method, string reference)
    {
        var request = new HttpRequestMessage(method, ManifestUri(reference));
        foreach (var type in ManifestMediaTypes)
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        return request;
    }

    private Uri ManifestUri(string reference) => new(_base, "manifests/" + reference);

    private static string? MediaTypeOf(byte[] content)
    {
        try
        {
            using var document = JsonDocument.Parse(content);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("mediaType", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private void RequireDigest(string digest)
    {
        if (!OciDigest.IsValid(digest))
            throw new RegistryException(RegistryFailure.Refused, $"{Repository}: '{digest}' is not a sha256 digest (sha256: and 64 lower-case hex digits)");
    }

    private void RequireReference(string reference)
    {
        if (!OciDigest.IsValid(reference) && !OciReference.IsValidTag(reference))
            throw new RegistryException(RegistryFailure.Refused, $"{Repository}: '{reference}' is neither a tag nor a sha256 digest");
    }

    public void Dispose() => _transport.Dispose();
}
