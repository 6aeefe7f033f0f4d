namespace ImageBuild.Packaging.Tar;

/// <summary>
/// An old GNU sparse extension block (GNU tar's <c>struct sparse_header</c>): the 512 bytes after a sparse header
/// whose isextended is set, holding the next <see cref="Entries"/> map entries (24 bytes each, as in the header) and
/// at byte 504 its own isextended flag, set when another such block follows. Unused entries are zeros.
/// </summary>
internal static class GnuSparseExtensionBlock
{
    /// <summary>Entries per block (SPARSES_IN_SPARSE_HEADER).</summary>
    public const int Entries = 21;

    private const int IsExtendedOffset = Entries * GnuSparseEntry.Size;

    /// <summary>Writes one block holding <paramref name="entries"/> (at most <see cref="Entries"/>).</summary>
    public static void Write(Span<byte> block, ReadOnlySpan<GnuSparseEntry> entries, bool isExtended)
    {
        if (entries.Length > Entries) throw new ArgumentException($"a sparse extension block holds at most {Entries} entries");
        block = block[..TarHeader.BlockSize];
        block.Clear();
        for (int i = 0; i < entries.Length; i++)
            TarHeader.WriteSparseEntry(block.Slice(i * GnuSparseEntry.Size, GnuSparseEntry.Size), entries[i]);
        block[IsExtendedOffset] = isExtended ? (byte)1 : (byte)0;
    }

    /// <summary>The extension blocks a map of <paramref name="entryCount"/> entries needs after its header.</summary>
    public static long BlocksFor(long entryCount) =>
        entryCount <= TarHeader.OldGnuSparseEntries ? 0 : (entryCount - TarHeader.OldGnuSparseEntries + Entries - 1) / Entries;
}
