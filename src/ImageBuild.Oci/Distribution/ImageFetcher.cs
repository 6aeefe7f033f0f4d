using ImageBuild.Oci.Artifacts;
using ImageBuild.Oci.Registry;

namespace ImageBuild.Oci.Distribution;

/// <summary>
/// <c>imagebuild pull</c>: downloads an image artifact (<see cref="ImagePublisher.PushArtifactAsync"/>) or a
/// single-layer containerDisk into a destination (<see cref="PullDestination"/>). Nothing from the registry is
/// trusted: the manifest is checked against its digest when pulled by digest and parsed with limits, the config
/// against its descriptor, every layer against its digest (and a containerDisk's tar against the config's diff_id),
/// file names must be plain names, sizes stay under limits. Files are written to temporaries and renamed into
/// place only when all are complete, so a failed pull leaves nothing that looks valid.
/// </summary>
public sealed class ImageFetcher(RegistryClient client)
{
    /// <summary>The largest disk a containerDisk pull writes (its config does not give the virtual size).</summary>
    public const long MaxContainerDiskFile = 1L << 46;

    /// <summary>
    /// Pulls <paramref name="reference"/> (a tag or digest of <see cref="RegistryClient.Repository"/>) into
    /// <paramref name="destination"/>; from an image index, the manifest for linux/<paramref name="architecture"/>.
    /// </summary>
    public async Task<PulledImage> PullAsync(OciReference reference, string destination, CancellationToken ct, string architecture = ContainerDisk.DefaultArchitecture)
    {
        string shown = reference.ToString();
        var response = await client.GetManifestAsync(reference.Reference, ct).ConfigureAwait(false)
            ?? throw new DistributionException($"{shown}: no such manifest");
        if (response.MediaType == OciMediaTypes.ImageIndex)
        {
            string chosen = IndexPlatformChoice.Choose(response.Content, architecture, shown);
            shown = reference.WithDigest(chosen).ToString();
            response = await client.GetManifestAsync(chosen, ct).ConfigureAwait(false)
                ?? throw new DistributionException($"{shown}: the manifest its index lists does not exist");
            if (response.MediaType == OciMediaTypes.ImageIndex)
                throw new InvalidDataException($"{shown}: an index lists another index as a platform's manifest");
        }
        var manifest = OciManifest.Parse(response.Content, shown);
        var found = new FoundArtifact(response.Digest, manifest);
        if (manifest.ArtifactType == OciMediaTypes.ImageArtifact || manifest.Config.MediaType == ImageArtifactConfig.MediaType)
            return await PullArtifactAsync(found, shown, destination, ct).ConfigureAwait(false);
        if (manifest.Config.MediaType == OciMediaTypes.ImageConfig)
            return await PullContainerDiskAsync(found, shown, destination, ct).ConfigureAwait(false);
        throw new DistributionException($"{shown}: neither an imagebuild image nor a containerDisk (artifactType {manifest.ArtifactType ?? "none"}, config {manifest.Config.MediaType})");
    }

    private async Task<PulledImage> PullArtifactAsync(FoundArtifact found, string shown, string destination, CancellationToken ct)
    {
        var store = new OciArtifactStore(client);
        var config = ImageArtifactConfig.Parse(await store.GetConfigAsync(found, ImageArtifactConfig.MaxSize, ct).ConfigureAwait(false), shown);
        var layers = found.Manifest.Layers;
        if (layers.Count != config.Files.Count)
            throw new InvalidDataException($"{shown}: the manifest has {layers.Count} layers for the {config.Files.Count} files its config names");
        string layerType = OciMediaTypes.DiskLayer(config.Format);
        for (int i = 0; i < layers.Count; i++)
        {
            string? title = layers[i].Annotations?.GetValueOrDefault(OciAnnotations.Title);
            if (title != config.Files[i])
                throw new InvalidDataException($"{shown}: layer {i} is titled '{title}', not '{config.Files[i]}' as the config says");
            if (layers[i].MediaType != layerType)
                throw new InvalidDataException($"{shown}: layer {i} is {layers[i].MediaType}, not the {layerType} of a {config.Format} image");
        }
        using var target = PullDestination.Prepare(destination, config.Files.Count);
        for (int i = 0; i < layers.Count; i++)
        {
            string temporary = target.Add(config.Files[i]);
            string entry = await store.PullFileAsync(layers[i], temporary, config.MaxFileSize, ct).ConfigureAwait(false);
            if (entry != config.Files[i])
                throw new InvalidDataException($"{shown}: layer {i} holds '{entry}', not '{config.Files[i]}'");
        }
        target.Commit();
        return new PulledImage(found.ManifestDigest, config.Format, target.Paths, IsContainerDisk: false);
    }

    private async Task<PulledImage> PullContainerDiskAsync(FoundArtifact found, string shown, string destination, CancellationToken ct)
    {
        var layers = found.Manifest.Layers;
        if (layers.Count != 1 || layers[0].MediaType != OciMediaTypes.LayerTarGzip)
            throw new DistributionException($"{shown}: an image of {layers.Count} layers ({string.Join(", ", layers.Select(l => l.MediaType).Distinct())}); a containerDisk pull reads one {OciMediaTypes.LayerTarGzip} layer");
        var config = ContainerDiskConfig.Parse(await new OciArtifactStore(client).GetConfigAsync(found, ContainerDiskConfig.MaxSize, ct).ConfigureAwait(false), shown);
        if (config.DiffIds.Count != 1)
            throw new InvalidDataException($"{shown}: the config names {config.DiffIds.Count} diff_ids for 1 layer");

        // The disk's name is in the tar: extract to a temporary first, then give it its place.
        using var target = PullDestination.Prepare(destination, 1);
        string staging = Path.Combine(target.Directory, $".containerdisk.{Guid.NewGuid():N}.imagebuild-pull");
        try
        {
            string name = await BlobPipe.RunAsync(
                (output, token) => client.PullBlobAsync(layers[0], output, token),
                (input, token) => ContainerDiskExtractor.ExtractAsync(input, staging, config.DiffIds[0], MaxContainerDiskFile, shown, token),
                ct).ConfigureAwait(false);
            File.Move(staging, target.Add(name));
            target.Commit();
            return new PulledImage(found.ManifestDigest, null, target.Paths, IsContainerDisk: true);
        }
        finally
        {
            File.Delete(staging);
        }
    }
}
