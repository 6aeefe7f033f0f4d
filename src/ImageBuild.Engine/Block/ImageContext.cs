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

    /// <summary>Receives warnings as qemu-img prints them after its "program: " prefix (may be several lines).</summary>
    public Action<string> Warn { get; }

    /// <summary>Receives lines qemu prints on stderr as they are, without a prefix (e.g. the repair of a dirty image on open).</summary>
    public Action<string> Log { get; }

    /// <summary>Which files are opened as images and which files an image may name (default: qemu's behaviour).</summary>
    public ImageFilePolicy FilePolicy { get; private init; }

    /// <summary>The same formats and outputs under another <see cref="ImageFilePolicy"/>.</summary>
    public ImageContext WithFilePolicy(ImageFilePolicy policy) =>
        policy == FilePolicy ? this : new ImageContext(Formats, Warn, Log) { FilePolicy = policy };

    public static ImageContext CreateDefault(Action<string>? warn = null, Action<string>? log = null) => new(FormatRegistry.CreateDefault(), warn, log);
}
