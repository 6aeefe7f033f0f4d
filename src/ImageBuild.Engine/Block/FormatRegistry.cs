namespace ImageBuild.Engine.Block;

/// <summary>The known format drivers, in registration order (first registered wins probe ties).</summary>
public sealed class FormatRegistry
{
    private readonly List<ImageFormat> _formats = [];

    public IReadOnlyList<ImageFormat> All => _formats;

    public FormatRegistry Register(ImageFormat format)
    {
        if (Find(format.Name) is not null)
            throw new ArgumentException($"format '{format.Name}' registered twice");
        _formats.Add(format);
        return this;
    }

    public ImageFormat? Find(string name) => _formats.Find(f => f.Name == name);

    /// <summary>
    /// The first registered format (registration order is qemu's probing order, raw and qcow2 first) that can create
    /// and write images with all of <paramref name="features"/>: what a recipe step uses when it names no format.
    /// </summary>
    public ImageFormat? Preferred(FormatFeatures features) =>
        _formats.Find(f => f.Capabilities.IsWritableTarget && f.Capabilities.Has(features));

    /// <summary>The usual file extension of a format's images (the name itself for formats the engine does not know).</summary>
    public string ExtensionOf(string format) => Find(format)?.Capabilities.FileExtension ?? format;

    /// <summary>
    /// The format whose images carry <paramref name="extension"/> (with or without its dot, any case): the first
    /// registered format that can create images with it, or null. Formats that only read (bochs's <c>.img</c>) or
    /// are not written yet name no extension, so <c>.img</c> stays free for raw.
    /// </summary>
    public ImageFormat? ForExtension(string extension)
    {
        string ext = extension.TrimStart('.');
        return ext.Length == 0 ? null : _formats.Find(f =>
            f.Capabilities.IsWritableTarget && string.Equals(f.Capabilities.FileExtension, ext, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The format of a new image named <paramref name="filename"/>: <paramref name="given"/> if any, else the format
    /// its extension names (<see cref="ForExtension"/>), else null. A given format that another format's extension
    /// contradicts (qcow2 into <c>disk.raw</c>) is refused: the file's name would lie about its content.
    /// </summary>
    /// <exception cref="ImageException">The given format contradicts the file's extension.</exception>
    public string? FormatForNewImage(string filename, string? given)
    {
        string ext = Path.GetExtension(filename);
        var named = ForExtension(ext);
        if (string.IsNullOrEmpty(given))
            return named?.Name;
        if (named is not null && named.Name != given)
            throw new ImageException(
                $"'{filename}': format '{given}' contradicts the file's extension '{ext}', which names {named.Name} images; " +
                $"give format '{named.Name}' or name the file '{Path.GetFileNameWithoutExtension(filename)}.{ExtensionOf(given)}'");
        return given;
    }

    /// <summary>The registry with every driver this engine ships.</summary>
    public static FormatRegistry CreateDefault() => Formats.BuiltinFormats.Register(new FormatRegistry());

    /// <summary>Picks the driver whose probe scores highest (qemu's bdrv_probe_all).</summary>
    public ImageFormat? Probe(ReadOnlySpan<byte> header, string filename)
    {
        ImageFormat? best = null;
        int bestScore = 0;
        foreach (var f in _formats)
        {
            int score = f.Probe(header, filename);
            if (score > bestScore)
            {
                best = f;
                bestScore = score;
            }
        }
        return best;
    }
}
