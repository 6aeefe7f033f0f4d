using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Bochs;

/// <summary>qemu's bochs_probe: the magic, type and subtype strings (NUL-terminated in their fields) and version 1 or 2.</summary>
public static class BochsProbe
{
    public static int Score(ReadOnlySpan<byte> buf, string filename)
    {
        if (buf.Length < 512) return 0;
        if (!CString(buf[..32], "Bochs Virtual HD Image") || !CString(buf.Slice(32, 16), "Redolog") || !CString(buf.Slice(48, 16), "Growing"))
            return 0;
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(buf[64..]);
        return version is 0x00020000 or 0x00010000 ? 100 : 0;
    }

    /// <summary>strcmp of a fixed field with a string: the text followed by a NUL inside the field.</summary>
    private static bool CString(ReadOnlySpan<byte> field, string text)
    {
        if (field.Length <= text.Length || field[text.Length] != 0) return false;
        for (int i = 0; i < text.Length; i++)
            if (field[i] != text[i]) return false;
        return true;
    }
}
