using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Dmg;

/// <summary>
/// Recognises encrypted disk images (Apple's CDSA encryption: "encrcdsa" at the start of a version 2 image,
/// "cdsaencr" at the end of a version 1 one). Their trailer and tables are encrypted; qemu finds no trailer and
/// says so, this driver names the reason instead.
/// </summary>
internal static class DmgEncryption
{
    public static void Refuse(HostFile file)
    {
        long length = file.Length;
        if (length < 8) return;
        Span<byte> magic = stackalloc byte[8];
        file.Read(0, magic);
        bool encrypted = magic.SequenceEqual("encrcdsa"u8);
        if (!encrypted)
        {
            file.Read(length - 8, magic);
            encrypted = magic.SequenceEqual("cdsaencr"u8);
        }
        if (encrypted)
            throw new ImageException("dmg: encrypted images are not supported");
    }
}
