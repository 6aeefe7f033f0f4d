namespace ImageBuild.Engine.Formats.Vhdx.Log;

/// <summary>Where the log lives in the file (VHDX 1.0 §2.2: the header's LogOffset and LogLength, both 1 MiB multiples).</summary>
/// <param name="Offset">File offset of the log's first byte.</param>
/// <param name="Length">Length of the circular log buffer in bytes.</param>
internal readonly record struct VhdxLogRegion(long Offset, long Length);

/// <summary>
/// One update the log carries (VHDX 1.0 §2.3.1.2–2.3.1.3): <paramref name="Length"/> bytes at
/// <paramref name="FileOffset"/>, 4 KiB aligned. A data descriptor carries <paramref name="Data"/> (Length bytes);
/// a zero descriptor has empty Data and stands for zeros.
/// </summary>
internal readonly record struct VhdxLogWrite(long FileOffset, long Length, ReadOnlyMemory<byte> Data)
{
    public bool IsZero => Data.IsEmpty;
}

/// <summary>
/// The active sequence of a log once validated (VHDX 1.0 §2.3.3): its updates in the order they must be applied, and
/// the file sizes the last entry records (FlushedFileOffset: the file must be at least this long before replay is
/// valid; LastFileOffset: the file is extended to at least this length after replay).
/// </summary>
internal sealed record VhdxLogReplay(IReadOnlyList<VhdxLogWrite> Writes, long FlushedFileOffset, long LastFileOffset);
