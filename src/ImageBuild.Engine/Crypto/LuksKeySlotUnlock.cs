using System.Security.Cryptography;
using System.Text;

namespace ImageBuild.Engine.Crypto;

/// <summary>Reads <c>buffer.Length</c> bytes of the volume at byte <paramref name="offset"/> (short reads are errors).</summary>
public delegate void LuksReadAt(long offset, Span<byte> buffer);

/// <summary>
/// Recovers a LUKS1 volume's master key from a passphrase as qemu's qcrypto_block_luks_find_key does: for each
/// active slot in order, PBKDF2(passphrase, slot salt, slot iterations) gives the slot key; the slot's key material
/// (key bytes x stripes, from its sector offset) is decrypted with the header's cipher keyed by it (sector numbers
/// from 0), AF-merged, and accepted when PBKDF2 of the result with the header's digest salt and iterations equals
/// the master key digest. No slot matching gives qemu's "Invalid password, cannot unlock any keyslot".
/// </summary>
public static class LuksKeySlotUnlock
{
    /// <summary>The message qemu gives when no active slot opens with the passphrase.</summary>
    public const string InvalidPasswordMessage = "Invalid password, cannot unlock any keyslot";

    /// <summary>The master key and the slot that gave it.</summary>
    public sealed record Result(byte[] MasterKey, int Slot);

    /// <summary>Unlocks with a passphrase given as text (its UTF-8 bytes, as qemu takes a secret).</summary>
    public static Result Unlock(LuksHeader header, string passphrase, LuksReadAt read) =>
        Unlock(header, Encoding.UTF8.GetBytes(passphrase), read);

    /// <summary>Unlocks with the passphrase's bytes; throws <see cref="ImageException"/> when no slot opens.</summary>
    public static Result Unlock(LuksHeader header, ReadOnlySpan<byte> passphrase, LuksReadAt read)
    {
        for (int i = 0; i < LuksHeader.KeySlotCount; i++)
        {
            byte[]? key = TryUnlockSlot(header, i, passphrase, read);
            if (key is not null) return new Result(key, i);
        }
        throw new ImageException(InvalidPasswordMessage);
    }

    /// <summary>Unlocks from a seekable stream holding the volume (the header at offset 0).</summary>
    public static Result Unlock(LuksHeader header, string passphrase, Stream volume) =>
        Unlock(header, passphrase, StreamReader(volume));

    /// <summary>The master key held by slot <paramref name="slotIndex"/> for this passphrase, or null (inactive slot or wrong passphrase).</summary>
    public static byte[]? TryUnlockSlot(LuksHeader header, int slotIndex, ReadOnlySpan<byte> passphrase, LuksReadAt read)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slotIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slotIndex, LuksHeader.KeySlotCount);
        var slot = header.KeySlots[slotIndex];
        if (!slot.IsActive) return null;
        var spec = header.Spec;
        int keyLen = checked((int)header.KeyBytes);

        var slotKey = new byte[keyLen];
        var split = new byte[checked((int)header.SplitKeyLength(slot))];
        var candidate = new byte[keyLen];
        var digest = new byte[LuksHeader.DigestLength];
        try
        {
            spec.Hash.Pbkdf2(passphrase, slot.Salt, checked((int)slot.Iterations), slotKey);
            read((long)slot.KeyMaterialOffsetSector * LuksHeader.SectorSize, split);
            using (var cipher = spec.CreateSectorCipher(slotKey))
                cipher.Decrypt(0, split);
            AntiForensicSplitter.Merge(spec.Hash, split, checked((int)slot.Stripes), candidate);
            spec.Hash.Pbkdf2(candidate, header.MasterKeyDigestSalt, checked((int)header.MasterKeyDigestIterations), digest);
            if (CryptographicOperations.FixedTimeEquals(digest, header.MasterKeyDigest)) return candidate;
            CryptographicOperations.ZeroMemory(candidate);
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(slotKey);
            CryptographicOperations.ZeroMemory(split);
        }
    }

    /// <summary>A <see cref="LuksReadAt"/> over a seekable stream; reading past its end is an I/O error.</summary>
    public static LuksReadAt StreamReader(Stream volume) => (offset, buffer) =>
    {
        volume.Position = offset;
        if (volume.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) < buffer.Length)
            throw new ImageException("Input/output error") { Errno = 5 };
    };
}
