namespace ImageBuild.Engine.Formats.Dmg;

/// <summary>
/// qemu's bounds on what a DMG may ask for: they keep a hostile table from making the reader allocate without limit.
/// </summary>
internal static class DmgLimits
{
    /// <summary>DMG_LENGTHS_MAX: the largest stored (compressed) length of a chunk, 64 MiB.</summary>
    public const ulong MaxLength = 64 * 1024 * 1024;

    /// <summary>DMG_SECTORCOUNTS_MAX: the most sectors a chunk that must be decoded may hold (64 MiB of data).</summary>
    public const ulong MaxSectorCount = MaxLength / 512;

    /// <summary>dmg_read_plist_xml: the largest XML property list qemu reads (16 MiB).</summary>
    public const ulong MaxPlistLength = 16 * 1024 * 1024;

    /// <summary>The size of the UDIF trailer ("koly" block) and of the smallest DMG qemu opens.</summary>
    public const int TrailerSize = 512;

    /// <summary>The size of a BLKXTable's header before its run entries (dmg_read_mish_block's 204).</summary>
    public const int MishHeaderSize = 204;

    /// <summary>The size of one run entry.</summary>
    public const int RunEntrySize = 40;

    /// <summary>The smallest block table qemu reads: a header and one entry.</summary>
    public const int MinMishSize = MishHeaderSize + RunEntrySize;
}
