using ImageBuild.Oci.Artifacts;
using ImageBuild.Oci.Registry;

namespace ImageBuild.Oci.Distribution;

/// <summary>
/// <c>imagebuild push</c>: publishes an image to one repository, either as an ImageBuild image artifact (artifactType
/// <see cref="OciMediaTypes.ImageArtifact"/>: the <see cref="ImageArtifactConfig"/> and one sparse-encoded layer per
/// host file, titled with its name), which <c>imagebuild pull</c> restores file for file, or as a KubeVirt
/// containerDisk (<see cref="ContainerDisk"/>), an ordinary OCI image any container tool and KubeVirt accept.
/// Each file is read once; the manifest goes last, so a tag never names an incomplete image.
/// </summary>
public sealed class ImagePublisher(RegistryClient client)
{
    /// <summary>Pushes <paramref name="image"/> as an image artifact under <paramref name="tag"/>; returns the manifest digest.</summary>
    public async Task<string> PushArtifactAsync(ImageToPublish image, string tag, CancellationToken ct)
    {
        CheckNames(image);
        string layerType = OciMediaTypes.DiskLayer(image.Format);
        var config = new ImageArtifactConfig(image.Format, image.VirtualSize, image.Files);
        var files = image.Files.Select(name => new ArtifactFile(name, image.PathOf(name), layerType)).ToList();
        var pushed = await new OciArtifactStore(client).PushAsync(
            new ArtifactToPush(OciMediaTypes.ImageArtifact, ImageArtifactConfig.MediaType, config.ToJson(), files), [tag], ct).ConfigureAwait(false);
        return pushed.ManifestDigest;
    }

    /// <summary>
    /// Pushes <paramref name="image"/> (one qcow2 or raw file) as a containerDisk for <paramref name="architecture"/>
    /// under <paramref name="tag"/>; returns the manifest digest.
    /// </summary>
    /// <exception cref="DistributionException">The image is of another format, or of several files.</exception>
    public async Task<string> PushContainerDiskAsync(ImageToPublish image, string architecture, string tag, CancellationToken ct)
    {
        CheckNames(image);
        string shown = image.ShownAs;
        string source = image.PathOf(image.Files[0]);
        if (!ContainerDisk.Accepts(image.Format))
            throw new DistributionException($"{shown}: a containerDisk holds a qcow2 or raw disk (KubeVirt boots those), not {image.Format}; convert it first");
        if (image.Files.Count != 1)
            throw new DistributionException($"{shown}: a containerDisk holds one disk file, and this image has {image.Files.Count} ({string.Join(", ", image.Files)})");
        if (!ContainerDiskConfig.IsValidArchitecture(architecture))
            throw new DistributionException($"{architecture}: not an architecture name (amd64, arm64, s390x...)");

        ContainerDiskLayerResult? written = null;
        var layer = await BlobPipe.RunAsync(
            async (output, token) => written = await ContainerDiskLayer.WriteAsync(source, image.Files[0], output, token).ConfigureAwait(false),
            (input, token) => client.PushBlobAsync(input, OciMediaTypes.LayerTarGzip, token),
            ct).ConfigureAwait(false);

        byte[] config = new ContainerDiskConfig(architecture, [written!.DiffId]).ToJson();
        var configBlob = await PushSmallAsync(config, OciMediaTypes.ImageConfig, ct).ConfigureAwait(false);
        var manifest = new OciManifest
        {
            Config = configBlob,
            Layers = [new OciDescriptor(OciMediaTypes.LayerTarGzip, layer.Digest, layer.Size)],
        }.ToJson();
        string digest = await client.PutManifestAsync(OciDigest.Of(manifest), manifest, OciMediaTypes.ImageManifest, ct).ConfigureAwait(false);
        await client.PutManifestAsync(tag, manifest, OciMediaTypes.ImageManifest, ct).ConfigureAwait(false);
        return digest;
    }

    /// <summary>Only names a pull accepts are pushed (a pull refuses hidden names and paths).</summary>
    private static void CheckNames(ImageToPublish image)
    {
        foreach (string name in image.Files)
            if (ArtifactNames.Problem(name) is { } problem)
                throw new DistributionException($"{image.ShownAs}: {problem}, which a pull would refuse; rename the image");
    }

    private async Task<OciDescriptor> PushSmallAsync(byte[] content, string mediaType, CancellationToken ct)
    {
        using var stream = new MemoryStream(content, writable: false);
        return await client.PushBlobAsync(stream, mediaType, ct, OciDigest.Of(content), content.Length).ConfigureAwait(false);
    }
}
