using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using ImageBuild.Oci.Artifacts;

namespace ImageBuild.Oci.Registry;

/// <summary>
/// Pulls one blob into a stream written front to back, checking its size and sha256 as it goes. Redirects to
/// storage are followed (without the registry's Authorization elsewhere). After a broken connection the download
/// goes on with <c>Range: bytes=N-</c> from the N bytes already written; a registry that answers such a request with
/// the whole blob (200) has its first N bytes skipped rather than written again, since the destination cannot seek
/// and the final digest check covers every byte written.
/// </summary>
internal sealed class BlobDownloader
{
    private const int BufferSize = 128 << 10;
    private readonly RegistryTransport _transport;
    private readonly Uri _base;
    private readonly OciReference _repository;
    private readonly RegistryOptions _options;

    public BlobDownloader(RegistryTransport transport, Uri baseUri)
    {
        _transport = transport;
        _base = baseUri;
        _repository = transport.Repository;
        _options = transport.Options;
    }

    public async Task PullAsync(OciDescriptor blob, Stream destination, CancellationToken ct)
    {
        if (!OciDigest.IsValid(blob.Digest))
            throw new RegistryException(RegistryFailure.Refused, $"{_repository}: '{blob.Digest}' is not a sha256 digest");
        if (blob.Size < 0)
            throw new RegistryException(RegistryFailure.Refused, $"{_repository}@{blob.Digest}: the descriptor's size {blob.Size} is negative");
        var uri = new Uri(_base, "blobs/" + blob.Digest);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            var progress = new StrongBox<long>(0);
            for (int attempt = 1; ; attempt++)
            {
                long from = progress.Value;
                var response = await _transport.SendAsync(() =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Get, uri);
                    if (from > 0) request.Headers.Range = new RangeHeaderValue(from, null);
                    return request;
                }, "blob download " + blob.Digest, ct, followRedirects: true).ConfigureAwait(false);

                string reason;
                using (response)
                {
                    long skip = 0;
                    if (response.StatusCode == HttpStatusCode.NotFound)
                        throw await _transport.FailureAsync(response, "blob download " + blob.Digest, ct).ConfigureAwait(false);
                    if (from > 0 && response.StatusCode == HttpStatusCode.PartialContent)
                    {
                        var range = response.Content.Headers.ContentRange;
                        if (range?.From is not long start || start != from)
                            throw new RegistryException(RegistryFailure.Protocol,
                                $"{_repository}@{blob.Digest}: blob download: the registry resumed at another offset than byte {from}");
                        if (range.Length is long total && total != blob.Size)
                            throw Corrupt(blob, $"the registry's blob is {total} bytes, not {blob.Size}");
                    }
                    else if (response.StatusCode == HttpStatusCode.OK)
                    {
                        skip = from;
                        if (response.Content.Headers.ContentLength is long length && length != blob.Size)
                            throw Corrupt(blob, $"the registry's blob is {length} bytes, not {blob.Size}");
                    }
                    else if (from > 0 && response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
                    {
                        response.Dispose();
                        throw Corrupt(blob, $"the registry holds fewer than the blob's {blob.Size} bytes (no byte {from})");
                    }
                    else
                    {
                        throw await _transport.FailureAsync(response, "blob download " + blob.Digest, ct).ConfigureAwait(false);
                    }

                    try
                    {
                        await CopyAsync(response, destination, hash, buffer, blob, progress, skip, ct).ConfigureAwait(false);
                        if (progress.Value == blob.Size) break;
                        reason = $"the body ended after {progress.Value} of {blob.Size} bytes";
                    }
                    catch (Exception e) when (e is not RegistryException && RegistryTransport.IsTransient(e, ct))
                    {
                        reason = RegistryTransport.Describe(e) + $" after {progress.Value} of {blob.Size} bytes";
                    }
                }
                if (attempt >= _options.MaxAttempts)
                    throw new RegistryException(RegistryFailure.Unreachable, $"{_repository}@{blob.Digest}: blob download failed: {reason} (after {attempt} attempts)");
                await _transport.BackoffAsync(attempt, null, "blob download " + blob.Digest, reason + "; resuming", ct).ConfigureAwait(false);
            }

            Span<byte> sha = stackalloc byte[SHA256.HashSizeInBytes];
            hash.GetCurrentHash(sha);
            string actual = OciDigest.FromHash(sha);
            if (actual != blob.Digest)
                throw new RegistryException(RegistryFailure.Corrupt, $"{_repository}@{blob.Digest}: the downloaded blob's digest is {actual}");
        }
        catch (DestinationException e)
        {
            // The destination's own failure (disk full...) is the caller's to see, not a network fault to retry.
            ExceptionDispatchInfo.Throw(e.InnerException!);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private RegistryException Corrupt(OciDescriptor blob, string what) =>
        new(RegistryFailure.Corrupt, $"{_repository}@{blob.Digest}: {what}");

    /// <summary>
    /// Copies the body after skipping <paramref name="skip"/> bytes, counting the bytes written in
    /// <paramref name="written"/> as they go (so that a failure mid-body knows where to resume).
    /// </summary>
    private async Task CopyAsync(HttpResponseMessage response, Stream destination, IncrementalHash hash, byte[] buffer,
        OciDescriptor blob, StrongBox<long> written, long skip, CancellationToken ct)
    {
        using var progress = CancellationTokenSource.CreateLinkedTokenSource(ct);
        progress.CancelAfter(_options.Timeout);
        await using var body = await response.Content.ReadAsStreamAsync(progress.Token).ConfigureAwait(false);
        while (true)
        {
            progress.CancelAfter(_options.Timeout);
            int n = await body.ReadAsync(buffer.AsMemory(0, BufferSize), progress.Token).ConfigureAwait(false);
            if (n == 0) return;
            int start = 0;
            if (skip > 0)
            {
                int skipped = (int)Math.Min(skip, n);
                skip -= skipped;
                start = skipped;
                if (start == n) continue;
            }
            int count = n - start;
            if (written.Value + count > blob.Size)
                throw new RegistryException(RegistryFailure.Corrupt,
                    string.Create(CultureInfo.InvariantCulture, $"{_repository}@{blob.Digest}: the registry sent more than the blob's {blob.Size} bytes"));
            try
            {
                await destination.WriteAsync(buffer.AsMemory(start, count), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new DestinationException(e);
            }
            hash.AppendData(buffer, start, count);
            written.Value += count;
        }
    }

    /// <summary>Carries a failure of the destination stream past the network-retry handling.</summary>
    private sealed class DestinationException(Exception inner) : Exception(inner.Message, inner);
}
