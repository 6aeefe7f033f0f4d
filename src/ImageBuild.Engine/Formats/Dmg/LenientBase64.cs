namespace ImageBuild.Engine.Formats.Dmg;

/// <summary>
/// Base64 decoding that skips what is not in the alphabet (the tabs and line feeds of a property list), as glib's
/// g_base64_decode, which qemu uses, does; padding ends the data. The output is at most 3/4 of the input.
/// </summary>
internal static class LenientBase64
{
    public static byte[] Decode(ReadOnlySpan<byte> text)
    {
        var output = new byte[text.Length / 4 * 3 + 3];
        int n = 0, bits = 0, acc = 0;
        foreach (byte c in text)
        {
            int v = Value(c);
            if (c == (byte)'=') break;
            if (v < 0) continue;
            acc = acc << 6 | v;
            bits += 6;
            if (bits >= 8)
            {
                bits -= 8;
                output[n++] = (byte)(acc >> bits);
                acc &= (1 << bits) - 1;
            }
        }
        return output.AsSpan(0, n).ToArray();
    }

    private static int Value(byte c) => c switch
    {
        >= (byte)'A' and <= (byte)'Z' => c - 'A',
        >= (byte)'a' and <= (byte)'z' => c - 'a' + 26,
        >= (byte)'0' and <= (byte)'9' => c - '0' + 52,
        (byte)'+' => 62,
        (byte)'/' => 63,
        _ => -1,
    };
}
