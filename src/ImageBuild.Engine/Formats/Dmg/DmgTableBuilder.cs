namespace ImageBuild.Engine.Formats.Dmg;

/// <summary>
/// Collects the run entries of every block table into a <see cref="DmgChunkTable"/> as qemu's dmg_read_mish_block
/// does: comments and terminators are dropped, offsets are made absolute (data fork offset added), and a chunk that
/// must be decoded may hold at most 64 MiB, stored in at most 64 MiB, with qemu's messages. Types no reader knows
/// are kept (reading them fails naming the type) after qemu's warning.
/// </summary>
internal sealed class DmgTableBuilder(ulong dataForkOffset, Action<string> warn)
{
    private readonly DmgChunkTable _table = new();
    private uint _index;
    private bool _warnedUnknown;

    public void Add(uint type, ulong sector, ulong sectorCount, ulong offset, ulong length)
    {
        if (DmgChunkType.IsMarker(type)) return;
        if (!DmgChunkType.IsKnown(type))
        {
            if (!_warnedUnknown)
                warn($"warning: Image contains chunks of unknown type {type:x}, accessing them will result in I/O errors");
            _warnedUnknown = true;
            // qemu drops the entry (so its index is not counted); it is kept here to name it when read
            _table.Add(new DmgChunk(type, sector, sectorCount, offset + dataForkOffset, length, _index));
            return;
        }
        if (!DmgChunkType.IsZero(type) && sectorCount > DmgLimits.MaxSectorCount)
            throw new ImageException($"sector count {sectorCount} for chunk {_index} is larger than max ({DmgLimits.MaxSectorCount})") { Errno = 22 };
        if (length > DmgLimits.MaxLength)
            throw new ImageException($"length {length} for chunk {_index} is larger than max ({DmgLimits.MaxLength})") { Errno = 22 };
        _table.Add(new DmgChunk(type, sector, sectorCount, offset + dataForkOffset, length, _index));
        _index++;
    }

    public DmgChunkTable Build()
    {
        _table.Seal();
        return _table;
    }
}
