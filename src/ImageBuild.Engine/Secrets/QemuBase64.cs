namespace ImageBuild.Engine.Secrets;

/// <summary>
/// Base64 as qemu decodes secrets and IVs (qbase64_decode over glib's g_base64_decode): only the alphabet, '=' and
/// '\n' are allowed, no NUL bytes; '=' counts as a zero digit that drops its output byte, newlines are skipped and a
/// trailing group of fewer than four digits is ignored. Messages are qemu's and never quote the data.
/// </summary>
public static class QemuBase64
{
    /// <summary>Decodes <paramref name="input"/>; <paramref name="checkNul"/> as qemu when it was given a length (data, files).</summary>
    public static byte[] Decode(ReadOnlySpan<byte> input, bool checkNul = true)
    {
        if (checkNul)
        {
            if (input.Contains((byte)0))
                throw new ImageException("Base64 data contains embedded NUL characters");
        }
        else
        {
            int nul = input.IndexOf((byte)0);
            if (nul >= 0) input = input[..nul]; // strlen
        }
        foreach (byte b in input)
            if (Rank(b) < 0 && b != (byte)'\n')
                throw new ImageException("Base64 data contains invalid characters");

        var output = new byte[input.Length / 4 * 3];
        int length = 0, digits = 0;
        uint value = 0;
        byte last0 = 0, last1 = 0;
        foreach (byte b in input)
        {
            int rank = Rank(b);
            if (rank < 0) continue;
            last1 = last0;
            last0 = b;
            value = (value << 6) | (uint)rank;
            if (++digits < 4) continue;
            output[length++] = (byte)(value >> 16);
            if (last1 != (byte)'=') output[length++] = (byte)(value >> 8);
            if (last0 != (byte)'=') output[length++] = (byte)value;
            digits = 0;
        }
        return output.AsSpan(0, length).ToArray();
    }

    /// <summary>A digit's value ('=' is a zero digit), or -1 for any other byte.</summary>
    private static int Rank(byte b) => b switch
    {
        >= (byte)'A' and <= (byte)'Z' => b - 'A',
        >= (byte)'a' and <= (byte)'z' => b - 'a' + 26,
        >= (byte)'0' and <= (byte)'9' => b - '0' + 52,
        (byte)'+' => 62,
        (byte)'/' => 63,
        (byte)'=' => 0,
        _ => -1,
    };
}
