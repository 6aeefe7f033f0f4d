using ImageBuild.Engine.Block;
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

    private readonly QcowAesCipher _aes;

    private Qcow2Crypto(QcowAesCipher aes) => _aes = aes;

    /// <summary>Whether sectors are numbered by host offset (LUKS) rather than guest offset (AES).</summary>
    public bool PhysicalOffsets => false;

    public static Qcow2Crypto ForAes(QcowAesCipher aes) => new(aes);

    /// <summary>Encrypts <paramref name="data"/> (whole sectors) in place for guest <paramref name="guestOffset"/> stored at <paramref name="hostOffset"/>.</summary>
    public void Encrypt(long guestOffset, long hostOffset, Span<byte> data) =>
        _aes.Encrypt(Sector(guestOffset, hostOffset), data);

    /// <summary>Decrypts <paramref name="data"/> (whole sectors) in place; see <see cref="Encrypt"/>.</summary>
    public void Decrypt(long guestOffset, long hostOffset, Span<byte> data) =>
        _aes.Decrypt(Sector(guestOffset, hostOffset), data);

    private ulong Sector(long guestOffset, long hostOffset) => (ulong)(PhysicalOffsets ? hostOffset : guestOffset) / SectorSize;

    public void Dispose() => _aes.Dispose();
}
