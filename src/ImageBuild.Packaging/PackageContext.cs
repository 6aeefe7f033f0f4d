using ImageBuild.Engine.Block;

namespace ImageBuild.Packaging;

/// <summary>
/// What every packager is given besides its request: the engine (whose identity source fixes the identifiers of the
/// images it writes, such as a VMDK's CID), the timestamp archive members carry, where intermediate files may go,
/// progress and cancellation, and how many threads compression may use. Nothing in a package comes from the clock,
/// the machine or the thread count: the same request and context give the same bytes everywhere.
/// </summary>
public sealed record PackageContext
{
    /// <summary>The engine that reads the input images and writes intermediate ones (its identity source makes them reproducible).</summary>
    public required ImageContext Engine { get; init; }

    /// <summary>Modification time of every archive member, in seconds since 1970 (a build's SOURCE_DATE_EPOCH, else 0).</summary>
    public long MtimeSeconds { get; init; }

    /// <summary>Maps a name to a path where the packager may create an intermediate file; it deletes what it created.</summary>
    public required Func<string, string> Scratch { get; init; }

    /// <summary>Progress in percent (0–100); the caller may throw <see cref="OperationCanceledException"/> from it to stop.</summary>
    public Action<double>? Progress { get; init; }

    public CancellationToken Cancellation { get; init; }

    /// <summary>Threads compression may use; 0 = every core. Never changes the output.</summary>
    public int Threads { get; init; }
}

/// <summary>An image a packager reads: its path and its format as the engine names formats (null: probed).</summary>
public sealed record PackageDisk(string Path, string? Format);

/// <summary>What a packager wrote: the archive's members in order, and one line describing it for plans and summaries.</summary>
public sealed record PackageResult(IReadOnlyList<string> Members, string Note);
