using ImageBuild.Engine.Block;
using ImageBuild.Engine.Formats.File;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Raw;

/// <summary>A raw image: virtual size is the file length rounded up to 512; status comes from the file's holes.</summary>
public sealed class RawDevice : BlockDevice
{
    private readonly HostFile _file;
    private readonly FormatRegistry? _probedWith;

    /// <param name="filename">Image filename.</param>
    /// <param name="file">The open host file.</param>
    /// <param name="readOnly">Open read-only.</param>
    /// <param name="probedWith">When the format was guessed: the registry whose probes guard sector 0.</param>
    public RawDevice(string filename, HostFile file, bool readOnly, FormatRegistry? probedWith = null) : base(filename, readOnly)
    {
        _file = file;
        _probedWith = probedWith;
    }

    public override string FormatName => "raw";

    public override HostFile File => _file;

    public override long VirtualSize => Sectors.RoundUp(_file.Length);

    protected override void ReadCore(long offset, Span<byte> dest) => _file.Read(offset, dest);

    protected override void WriteCore(long offset, ReadOnlySpan<byte> src)
    {
        GuardProbedFirstSector(offset, src);
        _file.Write(offset, src);
    }

    /// <summary>
    /// qemu's safety net for raw images whose format was guessed: a write to the first 512 bytes must cover
    /// them whole, and must not make the image probe as another format (which would let a guest turn its
    /// disk into, say, a qcow2 with a backing file of the host's choosing on the next probe).
    /// </summary>
    private void GuardProbedFirstSector(long offset, ReadOnlySpan<byte> src)
    {
        if (_probedWith is null || offset >= ImageOpener.ProbeSize || src.IsEmpty)
            return;
        if (offset != 0 || src.Length < ImageOpener.ProbeSize)
            throw new ImageException($"'{Filename}': Invalid argument (writes to the first sector of a probed raw image must cover it whole)");
        var probed = _probedWith.Probe(src[..ImageOpener.ProbeSize], Filename);
        if (probed is not null && probed.Name != "raw")
            throw new ImageException($"'{Filename}': Operation not permitted (the write would make the image probe as {probed.Name}; specify -f raw)");
    }

    protected override void WriteZeroesCore(long offset, long length, WriteZeroesFlags flags) =>
        _file.ZeroRange(offset, length, deallocate: (flags & WriteZeroesFlags.MayUnmap) != 0);

    protected override void DiscardCore(long offset, long length) => _file.ZeroRange(offset, length, deallocate: true);

    /// <summary>Raw passes through to the file: data or hole, always mapped at the same offset.</summary>
    public override DriverStatus GetDriverStatus(long offset, long length)
    {
        var (isData, run) = _file.GetAllocation(offset, length);
        var flags = (isData ? BlockStatusFlags.Data : BlockStatusFlags.Zero) | BlockStatusFlags.OffsetValid;
        return new DriverStatus(Math.Min(run, length), flags, offset, _file);
    }

    /// <summary>A raw file grown by truncation reads zeros; qemu reports zero-init for regular files.</summary>
    public override bool HasZeroInit => true;

    /// <summary>Every write is a pwrite (or a hole punched) at its own offset; nothing is allocated in between.</summary>
    public override bool SupportsConcurrentWrites => true;

    /// <summary>A raw file passes writes straight through, unless its format was probed (see GuardProbedFirstSector).</summary>
    public override HostFile? PassthroughFile => ReadOnly || _probedWith is not null ? null : _file;

    /// <summary>Grows (with file-level preallocation) or shrinks the file to exactly <paramref name="newSize"/>.</summary>
    public override void Resize(long newSize, Preallocation preallocation)
    {
        if (ReadOnly) throw NotWritable();
        if (preallocation == Preallocation.Metadata)
            throw new ImageException("Unsupported preallocation mode: metadata");
        long old = _file.Length;
        if (newSize <= old)
            _file.SetLength(newSize);
        else
            FileProtocol.Extend(_file, old, newSize, preallocation);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _file.Dispose();
    }
}
