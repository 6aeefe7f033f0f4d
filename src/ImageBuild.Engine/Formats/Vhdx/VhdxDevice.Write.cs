using ImageBuild.Engine.Formats.Vhdx.Log;

namespace ImageBuild.Engine.Formats.Vhdx;

public sealed partial class VhdxDevice
{
    private Guid? _sessionGuid;
    private bool _visibleWriteDone;
    private VhdxLogWriter? _logWriter;
    private ulong _nextLogSequence = 1;

    /// <summary>The file write GUID of this session (VHDX 1.0 §2.2.2: set before the first header update).</summary>
    private Guid SessionGuid => _sessionGuid ??= _identity.NewUuid("file_write_guid");

    /// <summary>
    /// qemu's vhdx_co_writev: before the first guest-visible write both headers get a new data write GUID
    /// (vhdx_user_visible_write); then per block: a fully present block is written in place; any other state gets a
    /// new block at the end of the file (rounded up to 1 MiB, the file extended over the whole block so the rest
    /// reads as zeros), the data, then the BAT entry through the log. Partially present blocks only occur in
    /// differencing images, which are read-only here.
    /// </summary>
    protected override void WriteCore(long offset, ReadOnlySpan<byte> src)
    {
        if (_metadata.HasParent)
            throw new ImageException($"Could not write to '{Filename}': writing to a differencing VHDX image is not supported");
        if (!_visibleWriteDone)
        {
            _headers.UpdateBoth(_file, SessionGuid, () => _identity.NewUuid("data_write_guid"), null);
            _visibleWriteDone = true;
        }
        while (!src.IsEmpty)
        {
            long block = offset / _blockSize;
            int inBlock = (int)(offset % _blockSize);
            int n = (int)Math.Min(src.Length, _blockSize - inBlock);
            long index = _bat.PayloadIndex(block);
            ulong entry = _bat[index];
            switch (VhdxBatEntry.State(entry))
            {
                case VhdxBatEntry.FullyPresent:
                    long at = VhdxBatEntry.Offset(entry);
                    if (at < VhdxLayout.HeaderSectionEnd)
                        throw new ImageException("Bad address") { Errno = 14 };
                    // blocks stored one after the other are written in one request
                    for (long next = block + 1; n < src.Length; next++)
                    {
                        ulong e = _bat[_bat.PayloadIndex(next)];
                        if (VhdxBatEntry.State(e) != VhdxBatEntry.FullyPresent || VhdxBatEntry.Offset(e) != at + (next - block) * _blockSize)
                            break;
                        n += Math.Min(src.Length - n, _blockSize);
                    }
                    _file.Write(at + inBlock, src[..n]);
                    break;
                case VhdxBatEntry.NotPresent:
                case VhdxBatEntry.Undefined:
                case VhdxBatEntry.Zero:
                case VhdxBatEntry.Unmapped:
                case VhdxBatEntry.UnmappedV095:
                    long newOffset = (_file.Length + VhdxLayout.MiB - 1) / VhdxLayout.MiB * VhdxLayout.MiB;
                    _file.SetLength(newOffset + _blockSize);
                    _file.Write(newOffset + inBlock, src[..n]);
                    UpdateBatEntry(index, VhdxBatEntry.Make(VhdxBatEntry.FullyPresent, newOffset));
                    break;
                default:
                    throw new ImageException("Input/output error") { Errno = 5 };
            }
            src = src[n..];
            offset += n;
        }
    }

    /// <summary>
    /// qemu's vhdx_log_write_and_flush for one BAT entry: the headers name a new log GUID; one log entry carries the
    /// BAT's 4 KiB sector with the new entry (the writer flushes the data before it and the entry after); the entry's
    /// sectors are written in place (flushed); the headers say the log is empty again. A crash at any point leaves
    /// either the old entry (the new block is leaked space) or a log whose replay writes the new one.
    /// </summary>
    private void UpdateBatEntry(long index, ulong value)
    {
        ulong old = _bat[index];
        _bat.Set(index, value);
        try
        {
            var h = _headers.Current;
            // qemu's log is empty between entries, and each entry gets a GUID of its own; its entries follow one
            // another from the start of the log, sequence numbers counting on, within an open
            Guid logGuid = _identity.NewUuid("log_guid");
            _logWriter ??= new VhdxLogWriter(_file, new VhdxLogRegion((long)h.LogOffset, h.LogLength), logGuid, _nextLogSequence);
            _logWriter.LogGuid = logGuid;
            _headers.UpdateBoth(_file, SessionGuid, null, logGuid);
            var (sectorOffset, sector) = _bat.SectorOf(index);
            long length = _file.Length;
            var replay = _logWriter.Write([new VhdxLogWrite(sectorOffset, sector.Length, sector)], length, length);
            VhdxLogApplier.Apply(_file, replay);
            _headers.UpdateBoth(_file, SessionGuid, null, Guid.Empty);
        }
        catch
        {
            _bat.Set(index, old);
            throw;
        }
    }
}
