using System.Text;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Crypto;
using ImageBuild.Engine.Formats.File;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Info;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Formats.Luks;

/// <summary>
/// A LUKS1 image as qemu's block/crypto.c serves it: the volume at the start of the file, the guest's bytes
/// encrypted in 512-byte sectors after the payload offset with the guest sector number as IV. Opening for data needs
/// the runtime option key-secret; info opens (NO_IO) read the header only. Virtual size is the file length after the
/// payload offset, rounded up to a sector.
/// </summary>
public sealed class LuksDevice : BlockDevice
{
    /// <summary>qemu's bounce buffer size (BLOCK_CRYPTO_MAX_IO_SIZE): requests are processed in pieces of this.</summary>
    private const int MaxIoSize = 1024 * 1024;

    private readonly HostFile _file;
    private readonly LuksVolume _volume;
    private readonly string? _secretId;
    private readonly ImageContext _context;

    public LuksDevice(OpenRequest request) : base(request.Filename, !request.Writable)
    {
        _file = request.File;
        _context = request.Context;
        _secretId = request.DriverOption(LuksOptions.KeySecret);
        if (request.NoIo)
        {
            _volume = LuksVolume.OpenHeader(ReadRegion);
        }
        else
        {
            // qemu looks the secret up before it reads the header
            if (_secretId is null) throw new ImageException(LuksOptions.KeySecretRequired);
            byte[] passphrase = Encoding.UTF8.GetBytes(_context.Secrets.GetUtf8(_secretId));
            try
            {
                _volume = LuksVolume.Open(ReadRegion, passphrase);
            }
            finally
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(passphrase);
            }
        }
        if (_volume.HeaderLength > _file.Length)
        {
            // qemu's block_crypto_co_getlength is -EIO when the payload starts past the end of the file
            _volume.Dispose();
            throw new ImageException("Could not refresh total sector count: Input/output error");
        }
    }

    public override string FormatName => "luks";

    public override HostFile File => _file;

    /// <summary>The volume (header, key slots; the sector cipher when unlocked).</summary>
    public LuksVolume Volume => _volume;

    public override long VirtualSize => Sectors.RoundUp(Math.Max(0, _file.Length - _volume.HeaderLength));

    public override bool IsEncrypted => true;

    /// <summary>block/crypto.c has no has_zero_init: convert writes (encrypted) zeros.</summary>
    public override bool HasZeroInit => false;

    protected override int RequestAlignment => LuksVolume.SectorSize;

    public override FormatSpecificInfo? GetSpecificInfo() => new("luks", _volume.Info());

    private void ReadRegion(long offset, Span<byte> buffer) => _file.Read(offset, buffer);

    private void WriteRegion(long offset, ReadOnlySpan<byte> data) => _file.Write(offset, data);

    protected override void ReadCore(long offset, Span<byte> dest)
    {
        for (int done = 0; done < dest.Length; done += MaxIoSize)
        {
            var piece = dest.Slice(done, Math.Min(MaxIoSize, dest.Length - done));
            long at = offset + done;
            _file.Read(_volume.HeaderLength + at, piece);
            _volume.DecryptSectors((ulong)(at / LuksVolume.SectorSize), piece);
        }
    }

    protected override void WriteCore(long offset, ReadOnlySpan<byte> src)
    {
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Min(MaxIoSize, src.Length));
        try
        {
            for (int done = 0; done < src.Length; done += MaxIoSize)
            {
                int n = Math.Min(MaxIoSize, src.Length - done);
                var piece = buffer.AsSpan(0, n);
                src.Slice(done, n).CopyTo(piece);
                long at = offset + done;
                _volume.EncryptSectors((ulong)(at / LuksVolume.SectorSize), piece);
                _file.Write(_volume.HeaderLength + at, piece);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    /// <summary>
    /// block/crypto.c has no block-status callback: qemu reports every range as data, with no host offset (nothing
    /// a reader could use: the bytes there are ciphertext).
    /// </summary>
    public override DriverStatus GetDriverStatus(long offset, long length) => new(length, BlockStatusFlags.Data);

    /// <summary>qemu's block_crypto_co_truncate: the file becomes payload offset + new size, preallocated as asked.</summary>
    public override void Resize(long newSize, Preallocation preallocation)
    {
        if (ReadOnly) throw NotWritable();
        if (_volume.HeaderLength > long.MaxValue - newSize) throw new ImageException("The new size is too large") { Errno = SnapshotException.EFBIG };
        if (preallocation == Preallocation.Metadata)
            throw new ImageException("Unsupported preallocation mode: metadata");
        long target = _volume.HeaderLength + newSize;
        long old = _file.Length;
        if (target <= old) _file.SetLength(target);
        else FileProtocol.Extend(_file, old, target, preallocation);
    }

    /// <summary>qemu's key-slot amend of the luks driver (state, keyslot, old-secret, new-secret, iter-time).</summary>
    public override void Amend(OptionValues options, bool force, Action<long, long> status)
    {
        if (ReadOnly) throw NotWritable();
        var amend = LuksOptions.AmendOptions(options);
        status(0, 1);
        _volume.Amend(amend, force, _context.Secrets, _secretId, _context.Identity.ForImage(Filename), ReadRegion, WriteRegion);
        status(1, 1);
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        _volume.Dispose();
        _file.Dispose();
    }
}
