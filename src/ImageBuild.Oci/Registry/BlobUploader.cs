using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using ImageBuild.Oci.Artifacts;

namespace ImageBuild.Oci.Registry;

/// <summary>
/// Pushes one blob (distribution-spec "Pushing blobs"): HEAD first and cross-repository mount when the digest is
/// known; else POST a session, then one PUT for content smaller than a chunk or PATCHes of ChunkSize and a closing
/// PUT ?digest=. The content is read once, front to back. A failed PATCH is resumed from the offset the registry
/// reports for the session (GET of the upload URL); when the session is lost the upload starts over, which needs a
/// seekable stream unless the whole content is still in the chunk buffer.
/// </summary>
internal sealed class BlobUploader
{
    private const string OctetStream = "application/octet-stream";
    private readonly RegistryTransport _transport;
    private readonly RegistryClient _client;
    private readonly Uri _base;
    private readonly OciReference _repository;
    private readonly RegistryOptions _options;

    public BlobUploader(RegistryTransport transport, RegistryClient client, Uri baseUri)
    {
        _transport = transport;
        _client = client;
        _base = baseUri;
        _repository = transport.Repository;
        _options = transport.Options;
    }

    public async Task<OciDescriptor> PushAsync(Stream content, string mediaType, CancellationToken ct, string? knownDigest, long? knownSize, string? mountFrom)
    {
        if (knownDigest is not null)
        {
            if (!OciDigest.IsValid(knownDigest))
                throw new RegistryException(RegistryFailure.Refused, $"{_repository}: '{knownDigest}' is not a sha256 digest");
            var existing = await _client.HeadBlobAsync(knownDigest, ct).ConfigureAwait(false);
            if (existing is not null) return new OciDescriptor(mediaType, knownDigest, existing.Size);
        }
        Uri? session = null;
        if (knownDigest is not null && mountFrom is not null)
        {
            if (!OciReference.IsValidRepository(mountFrom))
                throw new RegistryException(RegistryFailure.Refused, $"{_repository}: '{mountFrom}' is not a repository name to mount from");
            var (mounted, location) = await MountAsync(knownDigest, mountFrom, ct).ConfigureAwait(false);
            if (mounted)
            {
                var blob = await _client.HeadBlobAsync(knownDigest, ct).ConfigureAwait(false);
                return new OciDescriptor(mediaType, knownDigest, blob?.Size ?? knownSize ?? 0);
            }
            session = location;
        }

        long start = content.CanSeek ? content.Position : -1;
        using var buffer = new ChunkBuffer(_options.ChunkSize);
        for (int restart = 0; ; restart++)
        {
            try
            {
                var digest = await UploadAsync(content, buffer, session, ct, knownDigest, knownSize).ConfigureAwait(false);
                return new OciDescriptor(mediaType, digest, buffer.TotalRead);
            }
            catch (UploadLostException lost)
            {
                bool inMemory = buffer.Ended && buffer.TotalRead == buffer.Length;
                if (!inMemory && !content.CanSeek)
                    throw new RegistryException(RegistryFailure.Unreachable,
                        $"{_repository}: blob upload failed: {lost.Reason}, and the content cannot be read again to start over");
                if (restart + 1 >= _options.MaxAttempts)
                    throw new RegistryException(RegistryFailure.Unreachable, $"{_repository}: blob upload failed: {lost.Reason} (after {restart + 1} attempts)");
                _options.Warning?.Invoke($"{_repository}: blob upload: {lost.Reason}; starting the upload over");
                if (!inMemory)
                {
                    content.Position = start;
                    buffer.Reset();
                }
                session = null;
            }
        }
    }

    private async Task<(bool Mounted, Uri? Location)> MountAsync(string digest, string from, CancellationToken ct)
    {
        var uri = new Uri(_base, $"blobs/uploads/?mount={Uri.EscapeDataString(digest)}&from={Uri.EscapeDataString(from)}");
        var response = await _transport.SendAsync(() => Post(uri), "blob mount", ct).ConfigureAwait(false);
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.Created) return (true, null);
            if (response.StatusCode == HttpStatusCode.Accepted)
                return (false, RegistryTransport.Resolve(response, uri, "blob mount", _repository));
        }
        throw await _transport.FailureAsync(response, "blob mount", ct).ConfigureAwait(false);
    }

    /// <summary>One upload session from the start; returns the digest of the content.</summary>
    private async Task<string> UploadAsync(Stream content, ChunkBuffer buffer, Uri? session, CancellationToken ct, string? knownDigest, long? knownSize)
    {
        bool fromMemory = buffer.Ended && buffer.TotalRead == buffer.Length;
        if (!fromMemory) await buffer.FillAsync(content, ct).ConfigureAwait(false);
        var location = session ?? await StartAsync(ct).ConfigureAwait(false);

        if (buffer.Ended && buffer.TotalRead == buffer.Length)
        {
            // Everything fits in one chunk: a single PUT with the content.
            string digest = Verify(buffer, knownDigest, knownSize);
            await FinishAsync(location, digest, buffer, ct).ConfigureAwait(false);
            return digest;
        }

        long chunkStart = 0;
        while (true)
        {
            location = await PatchAsync(location, buffer, chunkStart, ct).ConfigureAwait(false);
            chunkStart += buffer.Length;
            await buffer.FillAsync(content, ct).ConfigureAwait(false);
            if (buffer.Length == 0) break;
        }
        string total = Verify(buffer, knownDigest, knownSize);
        await FinishAsync(location, total, null, ct).ConfigureAwait(false);
        return total;
    }

    private string Verify(ChunkBuffer buffer, string? knownDigest, long? knownSize)
    {
        string digest = buffer.Digest();
        if (knownSize is long size && size != buffer.TotalRead)
            throw new RegistryException(RegistryFailure.Corrupt, $"{_repository}: blob upload refused: the content is {buffer.TotalRead} bytes, not the {size} expected");
        if (knownDigest is not null && knownDigest != digest)
            throw new RegistryException(RegistryFailure.Corrupt, $"{_repository}: blob upload refused: the content's digest is {digest}, not the {knownDigest} expected");
        return digest;
    }

    private async Task<Uri> StartAsync(CancellationToken ct)
    {
        var uri = new Uri(_base, "blobs/uploads/");
        var response = await _transport.SendAsync(() => Post(uri), "blob upload start", ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Accepted)
            throw await _transport.FailureAsync(response, "blob upload start", ct).ConfigureAwait(false);
        using (response)
            return RegistryTransport.Resolve(response, uri, "blob upload start", _repository);
    }

    /// <summary>Sends the chunk (resuming after failures) and returns the session's next URL.</summary>
    private async Task<Uri> PatchAsync(Uri location, ChunkBuffer buffer, long chunkStart, CancellationToken ct)
    {
        long offset = 0;
        for (int attempt = 1; ; attempt++)
        {
            string reason;
            try
            {
                var target = location;
                long from = offset;
                var response = await _transport.SendAsync(() =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Patch, target) { Content = buffer.Content(from) };
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue(OctetStream);
                    request.Content.Headers.TryAddWithoutValidation("Content-Range",
                        string.Create(CultureInfo.InvariantCulture, $"{chunkStart + from}-{chunkStart + buffer.Length - 1}"));
                    return request;
                }, "blob upload", ct, retry: false).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.Accepted)
                    using (response)
                        return RegistryTransport.Resolve(response, target, "blob upload", _repository);
                if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest)
                    throw new UploadLostException($"the registry lost the upload session ({(int)response.StatusCode})");
                if (response.StatusCode != HttpStatusCode.RequestedRangeNotSatisfiable)
                    throw await _transport.FailureAsync(response, "blob upload", ct).ConfigureAwait(false);
                response.Dispose();
                reason = "the registry holds another part of the upload (416)";
            }
            catch (RegistryException e) when (e.Kind == RegistryFailure.Unreachable)
            {
                reason = e.Message[(e.Message.IndexOf(": ", StringComparison.Ordinal) + 2)..];
            }
            if (attempt >= _options.MaxAttempts)
                throw new RegistryException(RegistryFailure.Unreachable, $"{_repository}: {reason} (after {attempt} attempts)");
            await _transport.BackoffAsync(attempt, null, "blob upload", reason, ct).ConfigureAwait(false);

            var (registryOffset, next) = await StatusAsync(location, ct).ConfigureAwait(false);
            location = next;
            long end = chunkStart + buffer.Length;
            if (registryOffset == end) return location;
            if (registryOffset < chunkStart || registryOffset > end)
                throw new UploadLostException($"the registry holds {registryOffset} bytes of the upload, outside the chunk being sent");
            offset = registryOffset - chunkStart;
        }
    }

    /// <summary>GET of the upload URL: how many bytes the registry holds, and the session's URL to go on with.</summary>
    private async Task<(long Offset, Uri Location)> StatusAsync(Uri location, CancellationToken ct)
    {
        var response = await _transport.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, location), "blob upload status", ct).ConfigureAwait(false);
        using (response)
        {
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest)
                throw new UploadLostException($"the registry lost the upload session ({(int)response.StatusCode})");
            if (response.StatusCode is not (HttpStatusCode.NoContent or HttpStatusCode.Accepted))
                throw await _transport.FailureAsync(response, "blob upload status", ct).ConfigureAwait(false);
            var next = response.Headers.Location is null ? location : RegistryTransport.Resolve(response, location, "blob upload status", _repository);
            long offset = 0;
            if (response.Headers.TryGetValues("Range", out var values))
            {
                string range = values.First();
                int dash = range.IndexOf('-');
                if (dash < 0 || !long.TryParse(range.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long last))
                    throw new RegistryException(RegistryFailure.Protocol, $"{_repository}: blob upload status: the registry's Range '{range}' is not start-end");
                // distribution answers 0-0 for an empty session as well as for one byte; 0-0 is taken as empty
                // (a one-byte session then answers 416 to the resent chunk and the upload starts over).
                offset = last == 0 ? 0 : last + 1;
            }
            return (offset, next);
        }
    }

    private async Task FinishAsync(Uri location, string digest, ChunkBuffer? body, CancellationToken ct)
    {
        var builder = new UriBuilder(location);
        string query = builder.Query.TrimStart('?');
        builder.Query = (query.Length > 0 ? query + "&" : "") + "digest=" + Uri.EscapeDataString(digest);
        var uri = builder.Uri;
        RegistryException? failure;
        try
        {
            var response = await _transport.SendAsync(() =>
            {
                var request = new HttpRequestMessage(HttpMethod.Put, uri) { Content = body?.Content(0) ?? new ByteArrayContent([]) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(OctetStream);
                return request;
            }, "blob upload commit", ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Created)
            {
                using (response)
                {
                    if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && values.First() is { } answered && answered != digest)
                        throw new RegistryException(RegistryFailure.Corrupt, $"{_repository}: blob upload commit: the registry stored {answered} instead of {digest}");
                    return;
                }
            }
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest)
            {
                response.Dispose();
                failure = null;
            }
            else
            {
                failure = await _transport.FailureAsync(response, "blob upload commit", ct).ConfigureAwait(false);
            }
        }
        catch (RegistryException e) when (e.Kind == RegistryFailure.Unreachable)
        {
            failure = e;
        }
        // A commit whose answer was lost (and retried into a closed session) may still have stored the blob.
        if (await _client.HeadBlobAsync(digest, ct).ConfigureAwait(false) is not null) return;
        if (failure is not null) throw failure;
        throw new UploadLostException("the registry lost the upload session at the commit");
    }

    private static HttpRequestMessage Post(Uri uri) => new(HttpMethod.Post, uri) { Content = new ByteArrayContent([]) };

    /// <summary>The upload session is gone: only starting over can help.</summary>
    private sealed class UploadLostException(string reason) : Exception(reason)
    {
        public string Reason { get; } = reason;
    }
}
