using System.Security.Cryptography;
using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Crypto;

/// <summary>
/// Writes and erases key slots as qemu's crypto/block-luks.c does. Storing: a new salt, the iteration count from
/// the PBKDF2 rate for iter-time (at least 1000), the slot key from the passphrase, the master key AF-split into
/// 4000 stripes and encrypted with the slot key (sector numbers from 0), written at the slot's offset, then the slot
/// marked active and the header written. Erasing: the slot reset (zero salt and iterations, disabled) and the header
/// written, then the key material overwritten 16 times. All randomness comes from the image's identity.
/// </summary>
public static class LuksKeySlotStore
{
    /// <summary>qemu's minimum slot iterations.</summary>
    public const uint MinimumSlotIterations = 1000;

    /// <summary>How many times an erased slot's key material is overwritten.</summary>
    public const int EraseIterations = 16;

    /// <summary>Stores <paramref name="masterKey"/> in slot <paramref name="slotIndex"/> under <paramref name="passphrase"/>.</summary>
    public static void Store(LuksHeader header, int slotIndex, ReadOnlySpan<byte> passphrase, ReadOnlySpan<byte> masterKey,
        ulong iterTimeMs, ImageIdentity identity, LuksWriteAt write)
    {
        identity = identity.ForSecret(passphrase);
        var slot = header.KeySlots[slotIndex];
        var spec = header.Spec;
        int keyLen = checked((int)header.KeyBytes);
        var salt = new byte[LuksKeySlot.SaltLength];
        identity.NewBytes("luks.keyslot-salt", salt);
        slot.Salt = salt;
        ulong rate = LuksPbkdf2Rate.IterationsPerSecond(spec.Hash, passphrase, salt, keyLen, identity.IsReproducible);
        slot.Iterations = LuksPbkdf2Rate.Scale(rate, iterTimeMs, 1, MinimumSlotIterations);

        var slotKey = new byte[keyLen];
        byte[]? split = null;
        try
        {
            spec.Hash.Pbkdf2(passphrase, salt, checked((int)Math.Min(slot.Iterations, int.MaxValue)), slotKey);
            split = AntiForensicSplitter.Split(spec.Hash, masterKey, checked((int)slot.Stripes), b => identity.NewBytes("luks.af-stripes", b));
            using (var cipher = spec.CreateSectorCipher(slotKey))
                cipher.Encrypt(0, split);
            write((long)slot.KeyMaterialOffsetSector * LuksHeader.SectorSize, split);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(slotKey);
            if (split is not null) CryptographicOperations.ZeroMemory(split);
        }
        slot.State = LuksKeySlot.Enabled;
        WriteHeader(header, write);
    }

    /// <summary>Erases slot <paramref name="slotIndex"/>: header first, then the key material, as qemu does.</summary>
    public static void Erase(LuksHeader header, int slotIndex, ImageIdentity identity, LuksWriteAt write)
    {
        var slot = header.KeySlots[slotIndex];
        slot.Salt = new byte[LuksKeySlot.SaltLength];
        slot.Iterations = 0;
        slot.State = LuksKeySlot.Disabled;
        WriteHeader(header, write);
        var garbage = new byte[checked((int)header.SplitKeyLength(slot))];
        for (int i = 0; i < EraseIterations; i++)
        {
            identity.NewBytes("luks.erase", garbage);
            write((long)slot.KeyMaterialOffsetSector * LuksHeader.SectorSize, garbage);
        }
    }

    /// <summary>Writes the 592-byte header at the start of the LUKS region.</summary>
    public static void WriteHeader(LuksHeader header, LuksWriteAt write) => write(0, header.ToBytes());
}
