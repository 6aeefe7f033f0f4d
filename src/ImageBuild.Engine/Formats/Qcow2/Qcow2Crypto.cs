using ImageBuild.Engine.Crypto;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// The data encryption of an opened qcow2 image, as qcow2_co_encdec applies it: whole 512-byte sectors, numbered by
/// the guest offset for the legacy AES format (crypt_method 1) and by the host offset for LUKS (crypt_method 2,
/// qemu's crypt_physical_offset). Only normal data clusters are encrypted; compressed clusters are stored plain.
/// </summary>
internal sealed class Qcow2Crypto : IDisposable
{
    public const int SectorSize = 512;

    private readonly QcowAesCipher? _aes;
    private readonly LuksVolume? _luks;

    private Qcow2Crypto(QcowAesCipher? aes, LuksVolume? luks)
    {
        _aes = aes;
        _luks = luks;
    }

    public static Qcow2Crypto ForAes(QcowAesCipher aes) => new(aes, null);

    /// <summary>An unlocked LUKS volume (its header lives in the clusters the crypto header extension names).</summary>
    public static Qcow2Crypto ForLuks(LuksVolume volume) => new(null, volume);

    /// <summary>Whether sectors are numbered by host offset (LUKS) rather than guest offset (AES).</summary>
    public bool PhysicalOffsets => _luks is not null;

    /// <summary>Encrypts <paramref name="data"/> (whole sectors) in place for guest <paramref name="guestOffset"/> stored at <paramref name="hostOffset"/>.</summary>
    public void Encrypt(long guestOffset, long hostOffset, Span<byte> data)
    {
        ulong sector = Sector(guestOffset, hostOffset);
        if (_luks is not null) _luks.EncryptSectors(sector, data);
        else _aes!.Encrypt(sector, data);
    }

    /// <summary>Decrypts <paramref name="data"/> (whole sectors) in place; see <see cref="Encrypt"/>.</summary>
    public void Decrypt(long guestOffset, long hostOffset, Span<byte> data)
    {
        ulong sector = Sector(guestOffset, hostOffset);
        if (_luks is not null) _luks.DecryptSectors(sector, data);
        else _aes!.Decrypt(sector, data);
    }

    private ulong Sector(long guestOffset, long hostOffset) => (ulong)(PhysicalOffsets ? hostOffset : guestOffset) / SectorSize;

    public void Dispose()
    {
        _aes?.Dispose();
        _luks?.Dispose();
    }
}
