using System.Security.Cryptography;
using System.Text;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Secrets;

namespace ImageBuild.Engine.Crypto;

/// <summary>
/// qemu's LUKS key-slot amend (crypto/block-luks.c): <c>state=active</c> unlocks the master key with the secret
/// the image was opened with and stores it under <c>new-secret</c> in the given or first free slot;
/// <c>state=inactive</c> erases the given slot or every slot <c>old-secret</c> opens. <c>force</c> allows
/// overwriting an active slot and erasing the last one(s). Refusals carry qemu's messages.
/// </summary>
public static class LuksKeySlotAmend
{
    /// <summary>Applies <paramref name="options"/> to the volume whose header is <paramref name="header"/>.</summary>
    public static void Apply(LuksHeader header, LuksAmendOptions options, bool force, SecretStore secrets, string? openSecretId,
        ImageIdentity identity, LuksReadAt read, LuksWriteAt write)
    {
        switch (options.State)
        {
            case "active": AddKeySlot(header, options, force, secrets, openSecretId, identity, read, write); break;
            case "inactive": EraseKeySlots(header, options, force, secrets, identity, read, write); break;
            default: throw new ImageException($"Parameter 'state' does not accept value '{options.State}'");
        }
    }

    private static void AddKeySlot(LuksHeader header, LuksAmendOptions o, bool force, SecretStore secrets, string? openSecretId,
        ImageIdentity identity, LuksReadAt read, LuksWriteAt write)
    {
        if (o.NewSecret is null) throw new ImageException("'new-secret' is required to activate a keyslot");
        if (o.OldSecret is not null) throw new ImageException("'old-secret' must not be given when activating keyslots");
        int keyslot;
        if (o.Keyslot is long k)
        {
            if (k < 0 || k >= LuksHeader.KeySlotCount)
                throw new ImageException($"Invalid keyslot {(uint)k} specified, must be between 0 and {LuksHeader.KeySlotCount - 1}");
            keyslot = (int)k;
        }
        else
        {
            keyslot = Array.FindIndex(header.KeySlots, s => !s.IsActive);
            if (keyslot < 0) throw new ImageException("Can't add a keyslot - all keyslots are in use");
        }
        if (!force && header.KeySlots[keyslot].IsActive)
            throw new ImageException($"Refusing to overwrite active keyslot {keyslot} - please erase it first");

        byte[] oldPassword = Utf8(secrets, openSecretId);
        byte[]? masterKey = null;
        byte[] newPassword = [];
        try
        {
            masterKey = LuksKeySlotUnlock.Unlock(header, oldPassword, read).MasterKey;
            newPassword = Utf8(secrets, o.NewSecret);
            LuksKeySlotStore.Store(header, keyslot, newPassword, masterKey, o.IterTime ?? LuksCreateSettings.DefaultIterTimeMs, identity, write);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(oldPassword);
            CryptographicOperations.ZeroMemory(newPassword);
            if (masterKey is not null) CryptographicOperations.ZeroMemory(masterKey);
        }
    }

    private static void EraseKeySlots(LuksHeader header, LuksAmendOptions o, bool force, SecretStore secrets,
        ImageIdentity identity, LuksReadAt read, LuksWriteAt write)
    {
        if (o.NewSecret is not null) throw new ImageException("'new-secret' must not be given when erasing keyslots");
        if (o.IterTime is not null) throw new ImageException("'iter-time' must not be given when erasing keyslots");
        byte[]? oldPassword = o.OldSecret is null ? null : Utf8(secrets, o.OldSecret);
        try
        {
            int active = header.KeySlots.Count(s => s.IsActive);
            if (o.Keyslot is long k)
            {
                if (k < 0 || k >= LuksHeader.KeySlotCount)
                    throw new ImageException($"Invalid keyslot {(int)k} specified, must be between 0 and {LuksHeader.KeySlotCount - 1}");
                int keyslot = (int)k;
                if (oldPassword is not null && !Opens(header, keyslot, oldPassword, read))
                    throw new ImageException($"Given keyslot {keyslot} doesn't contain the given old password for erase operation");
                if (!force && !header.KeySlots[keyslot].IsActive)
                    throw new ImageException($"Given keyslot {keyslot} is already erased (inactive) ");
                if (!force && active == 1)
                    throw new ImageException($"Attempt to erase the only active keyslot {keyslot} which will erase all the data in the image irreversibly - refusing operation");
                LuksKeySlotStore.Erase(header, keyslot, identity, write);
            }
            else if (oldPassword is not null)
            {
                var matching = Enumerable.Range(0, LuksHeader.KeySlotCount).Where(i => Opens(header, i, oldPassword, read)).ToList();
                if (matching.Count == 0)
                    throw new ImageException("No keyslots match given (old) password for erase operation");
                if (!force && matching.Count == active)
                    throw new ImageException("All the active keyslots match the (old) password that was given and erasing them will erase all the data in the image irreversibly - refusing operation");
                foreach (int i in matching) LuksKeySlotStore.Erase(header, i, identity, write);
            }
            else
            {
                throw new ImageException("To erase keyslot(s), either explicit keyslot index or the password currently contained in them must be given");
            }
        }
        finally
        {
            if (oldPassword is not null) CryptographicOperations.ZeroMemory(oldPassword);
        }
    }

    private static bool Opens(LuksHeader header, int slot, byte[] password, LuksReadAt read)
    {
        byte[]? key = LuksKeySlotUnlock.TryUnlockSlot(header, slot, password, read);
        if (key is null) return false;
        CryptographicOperations.ZeroMemory(key);
        return true;
    }

    private static byte[] Utf8(SecretStore secrets, string? id) =>
        Encoding.UTF8.GetBytes(secrets.GetUtf8(id ?? throw new ImageException("No secret with id '(null)'")));
}
