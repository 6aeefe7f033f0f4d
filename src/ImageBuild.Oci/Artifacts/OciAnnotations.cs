namespace ImageBuild.Oci.Artifacts;

/// <summary>Annotation keys: the image-spec's predefined ones and ImageBuild's own under dev.imagebuild.</summary>
public static class OciAnnotations
{
    /// <summary>The file name a layer restores to (ORAS uses it the same way).</summary>
    public const string Title = "org.opencontainers.image.title";

    /// <summary>RFC 3339 date; ImageBuild writes it only from a fixed epoch (SOURCE_DATE_EPOCH), never from the clock.</summary>
    public const string Created = "org.opencontainers.image.created";

    /// <summary>On a layer: the size in bytes of the file it restores (known before downloading).</summary>
    public const string FileSize = "dev.imagebuild.file.size";

    /// <summary>On a step-cache manifest: the step's cache key.</summary>
    public const string StepKey = "dev.imagebuild.step.key";

    /// <summary>On a manifest: the ImageBuild version that wrote it.</summary>
    public const string EngineVersion = "dev.imagebuild.engine.version";

    /// <summary>On a pushed image's manifest: the image format of its disk.</summary>
    public const string ImageFormat = "dev.imagebuild.image.format";
}
