using System.Security.Cryptography;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Crypto;

/// <summary>
/// A LUKS1 volume reached through read/write callbacks at offsets from the start of its region (qemu's
/// QCryptoBlock with the luks driver): the luks format puts the region at the start of the file, qcow2 in its crypto
/// header clusters. <see cref="Format"/> makes a new volume, <see cref="OpenHeader"/> reads the header only (qemu's
/// NO_IO open, enough for info), <see cref="Open"/> unlocks it with a passphrase. An unlocked volume en/decrypts
/// whole 512-byte sectors by sector number (the guest sector for luks, the host sector for qcow2).
/// </summary>
public sealed class LuksVolume : IDisposable
{
    /// <summary>qemu's minimum iterations of the master key digest.</summary>
    public const uint MinimumMasterKeyIterations = 1000;

    private LuksSectorCipher? _cipher;

    private LuksVolume(LuksHeader header, LuksSectorCipher? cipher, int? slot)
    {
        Header = header;
        _cipher = cipher;
        UnlockedSlot = slot;
    }

    /// <summary>The parsed header (key slots change with <see cref="Amend"/>).</summary>
    public LuksHeader Header { get; }

    /// <summary>Bytes of the LUKS region before the payload (header and key material): qemu's payload_offset.</summary>
    public long HeaderLength => Header.PayloadOffset;

    /// <summary>The sector size of the payload cipher.</summary>
    public const int SectorSize = LuksHeader.SectorSize;

    /// <summary>Whether the master key is known (sectors can be en/decrypted).</summary>
    public bool IsUnlocked => _cipher is not null;

    /// <summary>The key slot the passphrase opened (null for a header-only open; 0 after <see cref="Format"/>).</summary>
    public int? UnlockedSlot { get; }

    /// <summary>
    /// Makes a new volume as qemu's qcrypto_block_luks_create: header (UUID, master key, digest salt from
    /// <paramref name="identity"/>; digest iterations from the PBKDF2 rate for iter-time / 8, at least 1000), eight
    /// slots of 4000 stripes laid out from sector 8, <paramref name="reserve"/> called with the header length before
    /// anything is written, then slot 0 stored with <paramref name="passphrase"/> and the header written.
    /// <paramref name="optPrefix"/> prefixes option names in messages (<c>encrypt.</c> for qcow2).
    /// </summary>
    public static LuksVolume Format(LuksCreateSettings settings, ReadOnlySpan<byte> passphrase, ImageIdentity identity,
        Action<long> reserve, LuksWriteAt write, string optPrefix = "")
    {
        var choice = settings.Resolve(optPrefix);
        ulong iterTime = settings.IterTimeOrDefault;
        identity = identity.ForSecret(passphrase);
        var draft = new LuksHeader
        {
            CipherName = choice.CipherName,
            CipherMode = choice.CipherModeSpec,
            HashSpec = choice.HashSpec,
            KeyBytes = (uint)choice.KeyBytes,
            Uuid = identity.NewUuid("luks.uuid").ToString("D"),
        };
        var salt = new byte[LuksKeySlot.SaltLength];
        identity.NewBytes("luks.master-key-salt", salt);
        draft.MasterKeyDigestSalt = salt;
        var masterKey = new byte[choice.KeyBytes];
        identity.NewBytes("luks.master-key", masterKey);
        try
        {
            var hash = LuksHash.FromName(choice.HashSpec);
            ulong rate = LuksPbkdf2Rate.IterationsPerSecond(hash, masterKey, salt, LuksHeader.DigestLength, identity.IsReproducible);
            draft.MasterKeyDigestIterations = LuksPbkdf2Rate.Scale(rate, iterTime, 8, MinimumMasterKeyIterations);
            var digest = new byte[LuksHeader.DigestLength];
            hash.Pbkdf2(masterKey, salt, checked((int)Math.Min(draft.MasterKeyDigestIterations, int.MaxValue)), digest);
            draft.MasterKeyDigest = digest;

            const uint headerSectors = LuksHeader.KeySlotAreaOffset / LuksHeader.SectorSize;
            uint splitSectors = 0;
            for (int i = 0; i < LuksHeader.KeySlotCount; i++)
            {
                var slot = draft.KeySlots[i];
                slot.State = LuksKeySlot.Disabled;
                slot.Stripes = LuksHeader.Stripes;
                splitSectors = (uint)draft.SplitKeySectors(slot);
                slot.KeyMaterialOffsetSector = headerSectors + (uint)i * splitSectors;
            }
            draft.PayloadOffsetSector = headerSectors + LuksHeader.KeySlotCount * splitSectors;

            var header = LuksHeader.Parse(draft.ToBytes());
            reserve(header.PayloadOffset);
            LuksKeySlotStore.Store(header, 0, passphrase, masterKey, iterTime, identity, write);
            return new LuksVolume(header, header.Spec.CreateSectorCipher(masterKey), 0);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(masterKey);
        }
    }

    /// <summary>
    /// The header length (payload offset in bytes) a volume formatted with <paramref name="settings"/> has, without
    /// formatting one (measure): 4096 bytes of header, then eight slots of key bytes x 4000 stripes, each rounded up to
    /// 4096 bytes. The settings are checked as <see cref="Format"/> checks them.
    /// </summary>
    public static long HeaderLengthFor(LuksCreateSettings settings, string optPrefix = "")
    {
        var choice = settings.Resolve(optPrefix);
        const long align = LuksHeader.KeySlotAreaOffset / LuksHeader.SectorSize;
        long sectors = ((long)choice.KeyBytes * LuksHeader.Stripes + LuksHeader.SectorSize - 1) / LuksHeader.SectorSize;
        long splitSectors = (sectors + align - 1) / align * align;
        return (align + LuksHeader.KeySlotCount * splitSectors) * LuksHeader.SectorSize;
    }

    /// <summary>Reads and checks the header only (qemu's NO_IO open): info works, sectors do not.</summary>
    public static LuksVolume OpenHeader(LuksReadAt read)
    {
        var raw = new byte[LuksHeader.Size];
        read(0, raw);
        return new LuksVolume(LuksHeader.Parse(raw), null, null);
    }

    /// <summary>
    /// Reads the header and unlocks the master key with <paramref name="passphrase"/> (its UTF-8 bytes); no slot
    /// opening gives qemu's "Invalid password, cannot unlock any keyslot".
    /// </summary>
    public static LuksVolume Open(LuksReadAt read, ReadOnlySpan<byte> passphrase)
    {
        var header = OpenHeader(read).Header;
        var unlocked = LuksKeySlotUnlock.Unlock(header, passphrase, read);
        try
        {
            return new LuksVolume(header, header.Spec.CreateSectorCipher(unlocked.MasterKey), unlocked.Slot);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(unlocked.MasterKey);
        }
    }

    /// <summary>Encrypts whole sectors in place; <paramref name="data"/> starts at sector <paramref name="firstSector"/>.</summary>
    public void EncryptSectors(ulong firstSector, Span<byte> data) => Cipher(data).Encrypt(firstSector, data);

    /// <summary>Decrypts whole sectors in place; <paramref name="data"/> starts at sector <paramref name="firstSector"/>.</summary>
    public void DecryptSectors(ulong firstSector, Span<byte> data) => Cipher(data).Decrypt(firstSector, data);

    private LuksSectorCipher Cipher(ReadOnlySpan<byte> data)
    {
        if (_cipher is null) throw new InvalidOperationException("the LUKS volume was opened without a passphrase");
        if (data.Length % SectorSize != 0)
            throw new ArgumentException($"{data.Length} bytes are not whole {SectorSize}-byte sectors", nameof(data));
        return _cipher;
    }

    /// <summary>
    /// Adds or erases key slots (qemu's qcrypto_block_luks_amend_options with its rules and messages).
    /// <paramref name="openSecretId"/> is the secret the image was opened with (it unlocks the master key for a new
    /// slot); secret ids are looked up in <paramref name="secrets"/> as UTF-8.
    /// </summary>
    public void Amend(LuksAmendOptions options, bool force, Secrets.SecretStore secrets, string? openSecretId,
        ImageIdentity identity, LuksReadAt read, LuksWriteAt write) =>
        LuksKeySlotAmend.Apply(Header, options, force, secrets, openSecretId, identity, read, write);

    /// <summary>qemu's QCryptoBlockInfoLUKS as a new object (the luks format's format-specific data).</summary>
    public QapiObject Info()
    {
        var info = new QapiObject();
        AddInfo(info);
        return info;
    }

    /// <summary>
    /// Adds QCryptoBlockInfoLUKS's members in schema order to <paramref name="into"/> (qcow2 puts
    /// <c>format: luks</c> first): cipher-alg, cipher-mode, ivgen-alg, ivgen-hash-alg (essiv only), hash-alg,
    /// payload-offset, master-key-iters, uuid, slots (active, iters and stripes when active, key-offset).
    /// </summary>
    public void AddInfo(QapiObject into)
    {
        var spec = Header.Spec;
        into.Add("cipher-alg", spec.CipherAlg);
        into.Add("cipher-mode", spec.CipherMode);
        into.Add("ivgen-alg", spec.IvGeneratorName);
        if (spec.IvHash is not null) into.Add("ivgen-hash-alg", spec.IvHash.Name);
        into.Add("hash-alg", spec.Hash.Name);
        into.Add("payload-offset", Header.PayloadOffset);
        into.Add("master-key-iters", (long)Header.MasterKeyDigestIterations);
        into.Add("uuid", Header.Uuid);
        var slots = new List<object>(LuksHeader.KeySlotCount);
        foreach (var s in Header.KeySlots)
        {
            var slot = new QapiObject().Add("active", s.IsActive);
            if (s.IsActive) slot.Add("iters", (long)s.Iterations).Add("stripes", (long)s.Stripes);
            slot.Add("key-offset", (long)s.KeyMaterialOffsetSector * LuksHeader.SectorSize);
            slots.Add(slot);
        }
        into.Add("slots", slots);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _cipher?.Dispose();
        _cipher = null;
    }
}
