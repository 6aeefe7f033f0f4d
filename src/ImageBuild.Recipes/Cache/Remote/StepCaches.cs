namespace ImageBuild.Recipes.Cache.Remote;

/// <summary>
/// The step caches of one run: the store steps are looked up in (<c>--cache-from</c>) and the store built steps are
/// pushed to (<c>--cache-to</c>); one store serves both when they name the same place (<c>--cache</c>).
/// Disposes the stores it opened.
/// </summary>
public sealed class StepCaches : IDisposable
{
    public StepCaches(IStepCache? reader, IStepCache? writer, bool required)
    {
        Reader = reader;
        Writer = writer;
        Required = required;
    }

    /// <summary>Where steps are looked up; null: no lookups.</summary>
    public IStepCache? Reader { get; }

    /// <summary>Where built (and up-to-date) steps are pushed; null: nothing is pushed.</summary>
    public IStepCache? Writer { get; }

    /// <summary>A store that fails (or serves something untrusted) fails the step instead of warning.</summary>
    public bool Required { get; }

    /// <summary>Whether the reader and the writer are one store (a pulled step is then never pushed back).</summary>
    public bool SameStore => Reader is not null && Writer is not null && Reader.Name == Writer.Name;

    /// <summary>The stores the settings name, each opened once by <paramref name="open"/> (null when none is named).</summary>
    public static StepCaches? Open(StepCacheSettings settings, Func<string, IStepCache> open)
    {
        if (!settings.IsEnabled) return null;
        IStepCache? reader = settings.From is { } from ? open(from) : null;
        IStepCache? writer = settings.To is null ? null
            : settings.To == settings.From ? reader
            : open(settings.To);
        return new StepCaches(reader, writer, settings.Required);
    }

    public void Dispose()
    {
        (Reader as IDisposable)?.Dispose();
        if (!ReferenceEquals(Reader, Writer)) (Writer as IDisposable)?.Dispose();
    }
}
