using ImageBuild.Engine.Host;
using ImageBuild.Engine.Info;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Block;

/// <summary>What a driver gets to open an image.</summary>
/// <param name="Context">Engine context (warnings, formats).</param>
/// <param name="Filename">The image's filename as given.</param>
/// <param name="File">The opened host file (owned by the device once Open succeeds).</param>
/// <param name="Writable">Open for writing.</param>
/// <param name="FormatProbed">The format was guessed from the content rather than given (-f).</param>
/// <param name="NoIo">Metadata only (qemu's BDRV_O_NO_IO, as info opens).</param>
/// <param name="Options">The options of the whole open (locking, sharing) that files the driver opens itself follow.</param>
public sealed record OpenRequest(ImageContext Context, string Filename, HostFile File, bool Writable, bool FormatProbed = false, bool ForCheck = false, bool NoIo = false, OpenOptions? Options = null)
{
    /// <summary>
    /// Opens a further file of this image (qemu's bdrv_open_child): a qcow2 data file, a VMDK extent. The name is
    /// resolved by the caller (<see cref="ImageContext.FromWorkingDirectory"/> or <see cref="ImageOpener.ResolveBackingName"/>
    /// as qemu resolves that kind of child), checked against the context's file policy, opened writable only when
    /// the image is, and locked as qemu locks a child of <paramref name="role"/>.
    /// </summary>
    public HostFile OpenChild(string path, string what, ChildRole role) => ImageOpener.OpenChildFile(this, path, what, role);

    /// <summary>A runtime option given for this image (see <see cref="OpenOptions.DriverOptions"/>), or null.</summary>
    public string? DriverOption(string key) =>
        Options?.DriverOptions is { } options && options.TryGetValue(key, out var value) ? value : null;
}

/// <summary>What a further file of an image holds (qemu's BDRV_CHILD_DATA / BDRV_CHILD_METADATA), which decides its locks.</summary>
public enum ChildRole
{
    /// <summary>Guest data only (a qcow2 external data file, a VMDK flat extent).</summary>
    Data,

    /// <summary>Metadata as well as data (a VMDK sparse extent): locked as the image's own file.</summary>
    DataAndMetadata,
}

/// <summary>What a driver gets to create an image.</summary>
/// <param name="Context">Engine context.</param>
/// <param name="Filename">Path of the new image.</param>
/// <param name="Size">Virtual size in bytes (already resolved from the backing file when omitted).</param>
/// <param name="Options">Validated create options (size is in <paramref name="Size"/>).</param>
public sealed record CreateRequest(ImageContext Context, string Filename, long Size, OptionValues Options);

/// <summary>Result of measure (qemu's BlockMeasureInfo).</summary>
public sealed record MeasureResult(long Required, long FullyAllocated, long? Bitmaps);

/// <summary>
/// A format driver (qemu's BlockDriver): probes, opens, creates and measures images of one format.
/// Drivers throw <see cref="ImageException"/> with qemu's wording, without the "Could not open 'F':" prefix
/// that <see cref="ImageOpener"/> adds.
/// </summary>
public abstract class ImageFormat
{
    /// <summary>Driver name as qemu spells it.</summary>
    public abstract string Name { get; }

    /// <summary>What the driver can do, declared once; hosts and operations ask this, never the name.</summary>
    public abstract FormatCapabilities Capabilities { get; }

    /// <summary>Probe score for the first 512 bytes (zero-padded) and the filename: 0 = not this format.</summary>
    public virtual int Probe(ReadOnlySpan<byte> header, string filename) => 0;

    public abstract BlockDevice Open(OpenRequest request);

    /// <summary>Create options in the driver's table order; null when the format cannot be created.</summary>
    public virtual IReadOnlyList<CreateOption>? CreateOptions => null;

    public bool SupportsCreate => CreateOptions is not null && Capabilities.Has(FormatFeatures.Create);

    /// <summary>Options amend can change, in the driver's table order; null when the driver cannot amend.</summary>
    public virtual IReadOnlyList<CreateOption>? AmendOptions => null;

    /// <summary>
    /// The runtime options the driver takes when opening (qemu's runtime_opts of the driver, e.g. luks's
    /// <c>key-secret</c>), for <see cref="OpenOptions.DriverOptions"/>; any other key is refused before the driver
    /// opens with qemu's "Block format 'F' does not support the option 'K'".
    /// </summary>
    public virtual IReadOnlyCollection<string> RuntimeOptions => [];

    /// <summary>
    /// The runtime options that change what an image reads as (qemu's strong_runtime_opts, e.g. a key secret): with
    /// any of them given, the opened image is named by a json: filename of the driver, those options and its file.
    /// Each is a key or the prefix of keys of <see cref="RuntimeOptions"/>.
    /// </summary>
    public virtual IReadOnlyCollection<string> StrongRuntimeOptions => [];

    /// <summary>Whether images of this format can have a backing file.</summary>
    public bool SupportsBacking => Capabilities.Has(FormatFeatures.Backing);

    /// <summary>Whether the driver can write compressed clusters (convert -c).</summary>
    public bool SupportsCompressedWrites => Capabilities.Has(FormatFeatures.CompressedWrites);

    public virtual void Create(CreateRequest request) =>
        throw new ImageException($"Format driver '{Name}' does not support image creation");

    /// <summary>measure: sizes for a new image of this format with the given options, for a source image or a size.</summary>
    public virtual MeasureResult Measure(OptionValues options, BlockDevice? source, long size) =>
        throw new ImageException($"Block driver '{Name}' does not support size measurement");

    /// <summary>
    /// measure with the engine context, for drivers whose options name secrets (qemu's luks and LUKS-encrypted qcow2
    /// measure by a fake create that looks the key-secret up); the default ignores the context.
    /// </summary>
    public virtual MeasureResult Measure(ImageContext context, OptionValues options, BlockDevice? source, long size) =>
        Measure(options, source, size);
}
