namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>How a run of an extent's guest bytes is stored.</summary>
internal enum GrainState
{
    /// <summary>Not allocated in this extent: read from the backing file (zeros without one).</summary>
    Unallocated,

    /// <summary>A zeroed grain (GTE 1 in a version 2 sparse extent, seSparse's zero entries): reads as zeros.</summary>
    Zero,

    /// <summary>Stored uncompressed at <see cref="GrainRun.HostOffset"/> in the extent file.</summary>
    Data,

    /// <summary>A compressed grain whose marker (or bare deflate stream) starts at <see cref="GrainRun.HostOffset"/>.</summary>
    Compressed,
}

/// <summary>
/// One lookup answer: from the asked offset, <see cref="Length"/> bytes are in <see cref="State"/>. For
/// <see cref="GrainState.Data"/>, <see cref="HostOffset"/> is the extent-file offset of the asked byte and the run is
/// contiguous in the file; for <see cref="GrainState.Compressed"/> it is where the grain's stored form starts and the
/// run ends at the grain's end.
/// </summary>
internal readonly record struct GrainRun(GrainState State, long HostOffset, long Length);

/// <summary>The lookup half of a sparse extent (KDMV, COWD, seSparse): guest offset within the extent to storage.</summary>
internal interface IGrainMap
{
    /// <summary>The run starting at <paramref name="offset"/> (bytes from the extent's start), at most <paramref name="maxLength"/> long.</summary>
    GrainRun Lookup(long offset, long maxLength);
}
