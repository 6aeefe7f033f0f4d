using System.Globalization;
using System.IO.Pipelines;
using System.Runtime.ExceptionServices;
using ImageBuild.Oci.Layers;
using ImageBuild.Oci.Registry;

namespace ImageBuild.Oci.Artifacts;

/// <summary>
/// ImageBuild's artifacts in one repository of a registry: an OCI 1.1 image manifest whose artifactType says what
/// it is, a config blob, and one layer per host file (<see cref="SparseFileLayer"/> encoding, title annotation =
/// file name). Files stream from disk through the encoder into the upload and from the download through the
/// decoder onto disk; no blob is ever staged in a temporary file or in memory.
/// </summary>
public sealed class OciArtifactStore
{
    /// <summary>
    /// Bytes buffered between the encoder and the upload: more than one upload chunk (8 MiB by default), so the
    /// encoder keeps working while a chunk is sent. The pipe holds them in small pooled segments. Kept small: a run
    /// pushes several steps at once, and the command line bounds its managed heap (256 MiB of GC regions, see
    /// ImageBuild.Cli.csproj), whose exhaustion .NET answers with a crash, not an OutOfMemoryException.
    /// </summary>
    private const long PushPipeBytes = 12 << 20;

    /// <summary>Bytes buffered between the download and the extractor.</summary>
    private const long PullPipeBytes = 4 << 20;

    private readonly RegistryClient _client;
    private readonly string? _mountFrom;

    public OciArtifactStore(RegistryClient client) : this(client, mountFrom: null)
    {
    }

    /// <summary>
    /// A store that, for a file whose <see cref="ArtifactFile.KnownDigest"/> this repository lacks, first asks the
    /// registry to mount the blob from <paramref name="mountFrom"/> (another repository of the same registry,
    /// distribution-spec "Mounting a blob from another repository") before reading and uploading the file.
    /// </summary>
    public OciArtifactStore(RegistryClient client, string? mountFrom)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _mountFrom = mountFrom;
    }

    /// <summary>
    /// Layers first (each file encoded by <see cref="SparseFileLayer.Write"/> into a pipe whose reader feeds the
    /// upload concurrently; a file with a <see cref="ArtifactFile.KnownDigest"/> the registry already has, or can
    /// mount from the store's mountFrom repository, is not uploaded), then the config (skipped when the registry
    /// has it), then the manifest: PUT by digest, then under
    /// every tag given, in order. Returns the manifest and its digest.
    /// </summary>
    public async Task<PushedArtifact> PushAsync(ArtifactToPush artifact, IReadOnlyList<string> tags, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(tags);
        var layers = new List<OciDescriptor>(artifact.Files.Count);
        foreach (ArtifactFile file in artifact.Files)
            layers.Add(await PushFileAsync(file, ct).ConfigureAwait(false));

        string configDigest = OciDigest.Of(artifact.Config.Span);
        OciDescriptor config;
        using (var configStream = new MemoryStream(artifact.Config.ToArray(), writable: false))
            config = await _client.PushBlobAsync(configStream, artifact.ConfigMediaType, ct, configDigest, artifact.Config.Length).ConfigureAwait(false);

        var manifest = new OciManifest
        {
            ArtifactType = artifact.ArtifactType,
            Config = new OciDescriptor(artifact.ConfigMediaType, config.Digest, config.Size),
            Layers = layers,
            Annotations = artifact.Annotations is { Count: > 0 } a ? new SortedDictionary<string, string>(a.ToDictionary(), StringComparer.Ordinal) : null,
        };
        byte[] json = manifest.ToJson();
        string digest = await _client.PutManifestAsync(OciDigest.Of(json), json, OciMediaTypes.ImageManifest, ct).ConfigureAwait(false);
        foreach (string tag in tags)
            await _client.PutManifestAsync(tag, json, OciMediaTypes.ImageManifest, ct).ConfigureAwait(false);
        return new PushedArtifact(digest, manifest);
    }

    private async Task<OciDescriptor> PushFileAsync(ArtifactFile file, CancellationToken ct)
    {
        long fileSize;
        using (var handle = LayerTarWriter.OpenSource(file.Path)) fileSize = RandomAccess.GetLength(handle);
        var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [OciAnnotations.Title] = file.Name,
            [OciAnnotations.FileSize] = fileSize.ToString(CultureInfo.InvariantCulture),
        };
        if (file.KnownDigest is not null && await _client.HeadBlobAsync(file.KnownDigest, ct).ConfigureAwait(false) is { } existing)
            return new OciDescriptor(file.MediaType, file.KnownDigest, existing.Size) { Annotations = annotations };

        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: PushPipeBytes, resumeWriterThreshold: PushPipeBytes / 2, minimumSegmentSize: 64 << 10, useSynchronizationContext: false));
        using var stopEncoder = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task encoder = Task.Run(() =>
        {
            try
            {
                using Stream sink = pipe.Writer.AsStream(leaveOpen: true);
                SparseFileLayer.Write(file.Path, file.Name, sink, file.KnownExtents, stopEncoder.Token);
                sink.Flush();
                pipe.Writer.Complete();
            }
            catch (Exception e)
            {
                pipe.Writer.Complete(e);
                throw;
            }
        }, CancellationToken.None);

        OciDescriptor pushed;
        try
        {
            using Stream source = pipe.Reader.AsStream(leaveOpen: true);
            pushed = file.KnownDigest is not null && _mountFrom is not null
                ? await _client.PushBlobAsync(source, file.MediaType, ct, file.KnownDigest, mountFrom: _mountFrom).ConfigureAwait(false)
                : await _client.PushBlobAsync(source, file.MediaType, ct).ConfigureAwait(false);
        }
        catch (Exception pushFailure)
        {
            await stopEncoder.CancelAsync().ConfigureAwait(false);
            pipe.Reader.Complete(pushFailure);
            try
            {
                await encoder.ConfigureAwait(false);
            }
            catch (Exception encodeFailure) when (encodeFailure is IOException or UnauthorizedAccessException or ArgumentException or InvalidDataException)
            {
                ExceptionDispatchInfo.Throw(encodeFailure); // the file could not be read: say so rather than the upload it broke
            }
            catch (Exception)
            {
                // the encoder stopped because the upload did
            }
            throw;
        }
        await pipe.Reader.CompleteAsync().ConfigureAwait(false);
        if (!encoder.IsCompleted)
        {
            // The registry had the blob (mounted) and the upload returned without reading: stop encoding.
            await stopEncoder.CancelAsync().ConfigureAwait(false);
            try
            {
                await encoder.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // stopped as asked
            }
        }
        else
        {
            await encoder.ConfigureAwait(false);
        }
        return new OciDescriptor(file.MediaType, pushed.Digest, pushed.Size) { Annotations = annotations };
    }

    /// <summary>
    /// The manifest under <paramref name="reference"/> (a tag or a digest), or null when there is none (404), when it
    /// is not an OCI image manifest, or when its artifactType (else its config's media type, as OCI 1.1 says) is not
    /// <paramref name="expectedArtifactType"/>. A manifest that does not parse is an <see cref="InvalidDataException"/>.
    /// </summary>
    public async Task<FoundArtifact?> FindAsync(string reference, string expectedArtifactType, CancellationToken ct)
    {
        ManifestResponse? response = await _client.GetManifestAsync(reference, ct).ConfigureAwait(false);
        if (response is null || response.MediaType != OciMediaTypes.ImageManifest) return null;
        string source = (OciDigest.IsValid(reference) ? _client.Repository.WithDigest(reference) : _client.Repository.WithTag(reference)).ToString();
        OciManifest manifest = OciManifest.Parse(response.Content, source);
        string type = manifest.ArtifactType ?? manifest.Config.MediaType;
        return type == expectedArtifactType ? new FoundArtifact(response.Digest, manifest) : null;
    }

    /// <summary>The config blob of an artifact (at most <paramref name="maxSize"/> bytes; size and digest checked).</summary>
    public async Task<byte[]> GetConfigAsync(FoundArtifact artifact, long maxSize, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        OciDescriptor config = artifact.Manifest.Config;
        if (config.Size > maxSize || config.Size > OciManifest.MaxJsonSize)
            throw new InvalidDataException($"{_client.Repository.WithDigest(artifact.ManifestDigest)}: the config blob is {config.Size} bytes, more than {Math.Min(maxSize, OciManifest.MaxJsonSize)}");
        using var buffer = new MemoryStream((int)config.Size);
        await _client.PullBlobAsync(config, buffer, ct).ConfigureAwait(false);
        return buffer.ToArray();
    }

    /// <summary>
    /// Streams the layer blob through zstd and tar into <paramref name="destinationPath"/> (which must not exist):
    /// the download feeds a pipe whose reader is the extractor, so the blob is never stored. The client checks the
    /// digest as the bytes arrive; a mismatch, found at the end, fails the extraction too, so on any failure the
    /// file is deleted and the exception rethrown. When the descriptor has a title annotation, the tar's entry must
    /// bear that name. Returns the entry name from the tar.
    /// </summary>
    public Task<string> PullFileAsync(OciDescriptor layer, string destinationPath, long maxFileSize, CancellationToken ct) =>
        PullFileAsync(layer, destinationPath, maxFileSize, observer: null, ct);

    /// <summary>
    /// <see cref="PullFileAsync(OciDescriptor, string, long, CancellationToken)"/>, telling
    /// <paramref name="observer"/> of every piece of data written as it is written (see
    /// <see cref="SparseFileLayer.Extract(Stream, string, long, string, ExtractedDataObserver?, CancellationToken)"/>),
    /// from the extracting thread: the caller can hash the file without reading it back. What it saw is only worth
    /// anything once this returns (a digest mismatch is found at the end of the download).
    /// </summary>
    public async Task<string> PullFileAsync(OciDescriptor layer, string destinationPath, long maxFileSize, ExtractedDataObserver? observer, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(layer);
        bool existedBefore = File.Exists(destinationPath);
        string source = _client.Repository.WithDigest(layer.Digest).ToString();
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: PullPipeBytes, resumeWriterThreshold: PullPipeBytes / 2, minimumSegmentSize: 64 << 10, useSynchronizationContext: false));
        using var stopDownload = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task<string> extractor = Task.Run(async () =>
        {
            try
            {
                using Stream input = pipe.Reader.AsStream(leaveOpen: true);
                string name = SparseFileLayer.Extract(input, destinationPath, maxFileSize, source, observer, ct);
                await pipe.Reader.CompleteAsync().ConfigureAwait(false);
                return name;
            }
            catch (Exception e)
            {
                await pipe.Reader.CompleteAsync(e).ConfigureAwait(false);
                await stopDownload.CancelAsync().ConfigureAwait(false); // no use downloading the rest of a refused layer
                throw;
            }
        }, CancellationToken.None);

        try
        {
            try
            {
                using Stream sink = pipe.Writer.AsStream(leaveOpen: true);
                await _client.PullBlobAsync(layer, sink, stopDownload.Token).ConfigureAwait(false);
                await sink.FlushAsync(stopDownload.Token).ConfigureAwait(false);
            }
            catch (Exception downloadFailure)
            {
                await pipe.Writer.CompleteAsync(downloadFailure).ConfigureAwait(false);
                try
                {
                    await extractor.ConfigureAwait(false);
                }
                catch (Exception extractFailure) when (downloadFailure is OperationCanceledException && !ct.IsCancellationRequested)
                {
                    // the extractor failed (a refused layer, a destination that cannot be written) and stopped the download
                    ExceptionDispatchInfo.Throw(extractFailure);
                }
                catch (Exception)
                {
                    // the extractor stopped because the download did
                }
                throw;
            }
            await pipe.Writer.CompleteAsync().ConfigureAwait(false);
            string name = await extractor.ConfigureAwait(false);
            if (layer.Annotations?.GetValueOrDefault(OciAnnotations.Title) is { } title && title != name)
                throw new InvalidDataException($"{source}: the layer holds '{name}' but the manifest titles it '{title}'");
            return name;
        }
        catch (Exception)
        {
            if (!existedBefore) File.Delete(destinationPath);
            throw;
        }
    }
}
