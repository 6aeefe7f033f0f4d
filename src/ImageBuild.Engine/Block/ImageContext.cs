namespace ImageBuild.Engine.Block;

/// <summary>
/// What engine operations share: the format drivers and where warnings go. Passed explicitly, never global.
/// </summary>
public sealed class ImageContext
{
    public ImageContext(FormatRegistry formats, Action<string>? warn = null, Action<string>? log = null)
    {
        Formats = formats;
        Warn = warn ?? (_ => { });
        Log = log ?? (_ => { });
    }

    /// <summary>A copy of <paramref name="other"/> whose init-only settings the caller then changes.</summary>
    private ImageContext(ImageContext other) : this(other.Formats, other.Warn, other.Log)
    {
        FilePolicy = other.FilePolicy;
        HostFaults = other.HostFaults;
        WorkingDirectory = other.WorkingDirectory;
        Identity = other.Identity;
        ReadWithoutBacking = other.ReadWithoutBacking;
        Secrets = other.Secrets;
        _imageOptions = other._imageOptions;
    }

    public FormatRegistry Formats { get; }

    /// <summary>
    /// Fault injection consulted by every host file the engine opens or creates in this context (tests only, after
    /// qemu's blkdebug); null, the default, injects nothing.
    /// </summary>
    public Host.IHostFileFaults? HostFaults { get; init; }

    /// <summary>Where identifiers and timestamps of new images come from (default: qemu's random and now).</summary>
    public IdentitySource Identity { get; init; } = IdentitySource.Random;

    /// <summary>Receives warnings as qemu-img prints them after its "program: " prefix (may be several lines).</summary>
    public Action<string> Warn { get; }

    /// <summary>Receives lines qemu prints on stderr as they are, without a prefix (e.g. the repair of a dirty image on open).</summary>
    public Action<string> Log { get; }

    /// <summary>Which files are opened as images and which files an image may name (default: qemu's behaviour).</summary>
    public ImageFilePolicy FilePolicy { get; private init; }

    /// <summary>
    /// The directory that names qemu opens as they are (a qcow2 data file's, relative to the working directory, not
    /// to the image) are resolved from; null, the default, is the process's working directory. In-process hosts set
    /// it instead of changing the process-wide directory.
    /// </summary>
    public string? WorkingDirectory { get; init; }

    /// <summary><paramref name="name"/> as qemu opens a plain child filename: relative to <see cref="WorkingDirectory"/>.</summary>
    public string FromWorkingDirectory(string name) =>
        WorkingDirectory is null || name.Length == 0 || Path.IsPathRooted(name) ? name : Path.Combine(WorkingDirectory, name);

    /// <summary>The same formats, outputs and settings under another <see cref="ImageFilePolicy"/>.</summary>
    public ImageContext WithFilePolicy(ImageFilePolicy policy) =>
        policy == FilePolicy ? this : new ImageContext(this) { FilePolicy = policy };

    /// <summary>The same formats, outputs and settings with another <see cref="WorkingDirectory"/>.</summary>
    public ImageContext WithWorkingDirectory(string? directory) =>
        new ImageContext(this) { WorkingDirectory = directory };

    /// <summary>The same formats, outputs and settings with another <see cref="Identity"/> source.</summary>
    public ImageContext WithIdentity(IdentitySource identity) =>
        new ImageContext(this) { Identity = identity };

    /// <summary>
    /// Images opened for reading are opened without their backing file (beyond qemu-img: the CLI's --no-backing, qemu's
    /// backing=null): an overlay reads as if its backing file were empty, a differencing VHD as qemu 7.2 reads it.
    /// </summary>
    public bool ReadWithoutBacking { get; private init; }

    /// <summary>The same context with <see cref="ReadWithoutBacking"/> set.</summary>
    public ImageContext WithoutBackingForReads() =>
        new ImageContext(this) { ReadWithoutBacking = true };

    /// <summary>
    /// The secrets drivers look up by id (passphrases of LUKS and encrypted qcow/qcow2 images); empty by default.
    /// Hosts fill it from qemu's --object secret, a recipe's secret sources, or the build hosts' properties.
    /// </summary>
    public Secrets.SecretStore Secrets { get; init; } = ImageBuild.Engine.Secrets.SecretStore.Empty;

    /// <summary>The same formats, outputs and settings with another <see cref="Secrets"/> store.</summary>
    public ImageContext WithSecrets(Secrets.SecretStore secrets) => new ImageContext(this) { Secrets = secrets };

    private IReadOnlyDictionary<string, BlockOptions> _imageOptions = new Dictionary<string, BlockOptions>(StringComparer.Ordinal);

    /// <summary>
    /// The same context where <paramref name="name"/> (an --image-opts argument as the user wrote it) opens the image
    /// <paramref name="options"/> describe (qemu's open options: driver, file.filename, ...), wherever an operation
    /// opens that name; messages still say "Could not open 'NAME'".
    /// </summary>
    public ImageContext WithImageOptions(string name, BlockOptions options) =>
        new ImageContext(this) { _imageOptions = new Dictionary<string, BlockOptions>(_imageOptions, StringComparer.Ordinal) { [name] = options } };

    /// <summary>The open options registered for <paramref name="name"/> by <see cref="WithImageOptions"/>, or null.</summary>
    public BlockOptions? ImageOptionsFor(string name) => _imageOptions.GetValueOrDefault(name);

    public static ImageContext CreateDefault(Action<string>? warn = null, Action<string>? log = null) => new(FormatRegistry.CreateDefault(), warn, log);
}
