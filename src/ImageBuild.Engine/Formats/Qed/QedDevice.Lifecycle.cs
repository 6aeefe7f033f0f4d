using ImageBuild.Engine.Formats.File;
using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Qed;

/// <summary>
/// The image's life: the need-check bit around opens and closes, check, resize (grow only) and backing file
/// changes, as qemu 7.2's qed driver does them.
/// </summary>
public sealed partial class QedDevice
{
    /// <summary>
    /// bdrv_qed_do_open on an image that was not closed cleanly and is opened read-write: a check that repairs the
    /// offsets it can (leaks stay), and clears the bit when nothing is left to repair. A check that cannot read
    /// the tables refuses the image.
    /// </summary>
    private void RepairOnOpen()
    {
        var result = new QedChecker(this, fix: true).Run();
        if (result.CheckErrors > 0)
            throw new ImageException("Image corrupted");
    }

    /// <summary>
    /// qemu arms its need-check timer whenever an opened image has the bit, and the first drain (which every
    /// qemu-img command does right after opening) fires it: the bit is cleared, and written out when the image is
    /// writable (on a read-only image the write fails and is ignored, so info never shows an unclean image).
    /// </summary>
    private void ClearNeedCheckAfterOpen()
    {
        if (!Header.Has(QedHeader.FeatureNeedCheck)) return;
        if (ReadOnly)
        {
            Header.Features &= ~QedHeader.FeatureNeedCheck;
            return;
        }
        _file.Flush();
        MarkClean();
    }

    /// <summary>Clears the need-check bit on disk (qed_write_header) and makes it durable.</summary>
    internal void MarkClean()
    {
        Header.Features &= ~QedHeader.FeatureNeedCheck;
        WriteHeader();
        _file.Flush();
    }

    /// <summary>bdrv_qed_co_check: qed_check, repairing invalid offsets whatever the -r mode asks.</summary>
    public override CheckResult Check(CheckRepair repair, ICheckLog log) =>
        new QedChecker(this, fix: repair != CheckRepair.None && !ReadOnly).Run();

    /// <summary>bdrv_qed_co_truncate: only the size field changes; the L1 table is fixed at creation.</summary>
    public override void Resize(long newSize, Preallocation preallocation)
    {
        if (ReadOnly) throw NotWritable();
        if (preallocation != Preallocation.Off)
            throw new ImageException($"Unsupported preallocation mode '{preallocation.ToString().ToLowerInvariant()}'") { Errno = SnapshotException.ENOTSUP };
        if (newSize < 0 || !QedHeader.IsImageSizeValid((ulong)newSize, Header.ClusterSize, Header.TableSize))
            throw new ImageException("Invalid image size specified") { Errno = SnapshotException.EINVAL };
        if ((ulong)newSize < Header.ImageSize)
            throw new ImageException("Shrinking images is currently not supported") { Errno = SnapshotException.ENOTSUP };
        ulong old = Header.ImageSize;
        Header.ImageSize = (ulong)newSize;
        try
        {
            WriteHeader();
        }
        catch (ImageException e)
        {
            Header.ImageSize = old;
            throw new ImageException($"Failed to update the image size: {e.Message}", e);
        }
    }

    /// <summary>
    /// bdrv_qed_change_backing_file: the header and the new name are written from offset 0 in one synced write;
    /// bytes of a longer old name past the new one stay as they were (qemu leaves them). Without a backing file the
    /// name offset still says 64 with a size of 0. Only a raw backing format is recorded (the no-probe bit).
    /// </summary>
    public override void ChangeBackingFile(string? backingFile, string? backingFormat)
    {
        if (ReadOnly) throw NotWritable();
        if (backingFile is not null && (Header.CompatFeatures & ~QedHeader.KnownCompatFeatures) != 0)
            throw new ImageException("Operation not supported") { Errno = SnapshotException.ENOTSUP };
        var header = Header.Clone();
        header.Features &= ~(QedHeader.FeatureBackingFile | QedHeader.FeatureBackingNoProbe);
        byte[] name = backingFile is null ? [] : System.Text.Encoding.UTF8.GetBytes(backingFile);
        if (backingFile is not null)
        {
            header.Features |= QedHeader.FeatureBackingFile;
            if (backingFormat == "raw")
                header.Features |= QedHeader.FeatureBackingNoProbe;
        }
        header.BackingFilenameOffset = QedHeader.Size;
        header.BackingFilenameSize = (uint)name.Length;
        if (QedHeader.Size + (long)name.Length > (long)header.HeaderSize * header.ClusterSize)
            throw new ImageException("No space left in the file header") { Errno = SnapshotException.ENOSPC };
        var buf = new byte[QedHeader.Size + name.Length];
        header.Write(buf);
        name.CopyTo(buf, QedHeader.Size);
        _file.Write(0, buf);
        _file.Flush();
        Header.Features = header.Features;
        Header.BackingFilenameOffset = header.BackingFilenameOffset;
        Header.BackingFilenameSize = header.BackingFilenameSize;
        BackingFilename = string.IsNullOrEmpty(backingFile) ? null : backingFile;
        BackingFormat = BackingFilename is null ? null : backingFormat;
    }

    /// <summary>bdrv_qed_close: everything is flushed, then the image is marked clean.</summary>
    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        try
        {
            if (!ReadOnly)
            {
                _file.Flush();
                if (Header.Has(QedHeader.FeatureNeedCheck))
                    MarkClean();
            }
        }
        finally
        {
            _file.Dispose();
        }
    }
}
