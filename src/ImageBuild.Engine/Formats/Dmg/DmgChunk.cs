namespace ImageBuild.Engine.Formats.Dmg;

/// <summary>
/// One run of guest sectors (a BLXKRunEntry made absolute): <see cref="Sector"/> counts from the start of the disk
/// (the entry's sector number plus its table's first sector), <see cref="Offset"/> from the start of the file (the
/// entry's compressed offset plus the data fork offset and its table's data offset).
/// </summary>
/// <param name="Index">The chunk's number in qemu's table (entries qemu drops are not counted), for messages.</param>
internal readonly record struct DmgChunk(uint Type, ulong Sector, ulong SectorCount, ulong Offset, ulong Length, uint Index)
{
    /// <summary>One past the last sector (saturating: a hostile table may wrap).</summary>
    public ulong EndSector => ulong.MaxValue - Sector < SectorCount ? ulong.MaxValue : Sector + SectorCount;

    /// <summary>The bytes the chunk decodes to.</summary>
    public long DecodedBytes => checked((long)SectorCount * 512);
}
