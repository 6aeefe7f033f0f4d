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

    public FormatRegistry Formats { get; }

    /// <summary>
    /// Fault injection consulted by every host file the engine opens or creates in this context (tests only, after
    /// qemu's blkdebug); null, the default, injects nothing.
    /// </summary>
    public Host.IHostFileFaults? HostFaults { get; init; }

    /// <summary>Receives warnings as qemu-img prints them after its "program: " prefix (may be several lines).</summary>
    public Action<string> Warn { get; }

    /// <summary>Receives lines qemu prints on stderr as they are, without a prefix (e.g. the repair of a dirty image on open).</summary>
    public Action<string> Log { get; }

    public static ImageContext CreateDefault(Action<string>? warn = null, Action<string>? log = null) => new(FormatRegistry.CreateDefault(), warn, log);
}
