namespace ImageBuild.Engine.Block;

/// <summary>
/// What engine operations share: the format drivers and where warnings go. Passed explicitly, never global.
/// </summary>
public sealed class ImageContext
{
    public ImageContext(FormatRegistry formats, Action<string>? warn = null)
    {
        Formats = formats;
        Warn = warn ?? (_ => { });
    }

    public FormatRegistry Formats { get; }

    /// <summary>Receives warnings as qemu-img prints them after its "program: " prefix (may be several lines).</summary>
    public Action<string> Warn { get; }

    public static ImageContext CreateDefault(Action<string>? warn = null) => new(FormatRegistry.CreateDefault(), warn);
}
