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
internal sealed record VhdxLogReplay(IReadOnlyList<VhdxLogWrite> Writes, long FlushedFileOffset, long LastFileOffset)
{
    /// <summary>No active sequence: nothing to replay (qemu then leaves the header's LogGuid as it is).</summary>
    public static VhdxLogReplay Empty { get; } = new([], 0, 0);

    /// <summary>
    /// Entries of the active sequence that the replay applies (0: no valid sequence was found). A sequence of entries
    /// without descriptors still counts: the log must then be marked empty like any replayed log.
    /// </summary>
    public int EntryCount { get; init; }

    /// <summary>Sequence number of the sequence's last entry (its head); the next entry written uses one more.</summary>
    public ulong SequenceNumber { get; init; }

    /// <summary>
    /// The length the file must have at least once the updates are written (VHDX 1.0 §2.3.3): for each entry whose
    /// LastFileOffset lay beyond the file, that offset rounded up to a MiB as qemu's vhdx_log_flush rounds it. 0 when
    /// no entry asks to extend the file. Updates past the end of the file extend it too.
    /// </summary>
    public long MinimumLength { get; init; }

    /// <summary>
    /// The file's length once replayed onto a file of <paramref name="fileLength"/> bytes: updates past the end
    /// extend it, then <see cref="MinimumLength"/>; a replay built by hand (<see cref="EntryCount"/> 0, no
    /// MinimumLength) extends a shorter file to its LastFileOffset rounded up to a MiB, as qemu's replay of one entry.
    /// </summary>
    public long LengthAfter(long fileLength)
    {
        long length = fileLength;
        foreach (VhdxLogWrite write in Writes)
            length = Math.Max(length, write.FileOffset + write.Length);
        length = Math.Max(length, MinimumLength);
        if (EntryCount == 0 && fileLength < LastFileOffset)
            length = Math.Max(length, (LastFileOffset + (1L << 20) - 1) & ~((1L << 20) - 1));
        return length;
    }

    /// <summary>Whether there is an active sequence to replay (the header's LogGuid is then reset once applied).</summary>
    public bool NeedsReplay => EntryCount > 0;
}
