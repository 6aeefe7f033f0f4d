namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>The pieces of glibc's sscanf qemu's VMDK code relies on, over a string of byte-chars.</summary>
internal static class CScan
{
    /// <summary>C isspace in the C locale.</summary>
    public static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    public static int SkipSpace(string s, int p)
    {
        while (p < s.Length && IsSpace(s[p])) p++;
        return p;
    }

    /// <summary>%Ns: skips whitespace, then takes 1..<paramref name="width"/> non-space characters; null at the end of the input.</summary>
    public static string? Word(string s, ref int p, int width)
    {
        p = SkipSpace(s, p);
        int start = p;
        while (p < s.Length && p - start < width && !IsSpace(s[p])) p++;
        return p == start ? null : s[start..p];
    }

    /// <summary>%lld: skips whitespace, an optional sign and at least one digit; out-of-range values saturate as strtoll does.</summary>
    public static long? Decimal(string s, ref int p)
    {
        int q = SkipSpace(s, p);
        bool negative = false;
        if (q < s.Length && s[q] is '+' or '-')
        {
            negative = s[q] == '-';
            q++;
        }
        int digits = q;
        Int128 value = 0;
        while (q < s.Length && s[q] is >= '0' and <= '9')
        {
            if (value <= long.MaxValue) value = value * 10 + (s[q] - '0');
            q++;
        }
        if (q == digits) return null;
        p = q;
        if (negative) value = -value;
        return value > long.MaxValue ? long.MaxValue : value < long.MinValue ? long.MinValue : (long)value;
    }

    /// <summary>%x into a uint32: skips whitespace, an optional sign and 0x prefix; null without a hex digit.</summary>
    public static uint? Hex32(string s, int p)
    {
        p = SkipSpace(s, p);
        bool negative = false;
        if (p < s.Length && s[p] is '+' or '-')
        {
            negative = s[p] == '-';
            p++;
        }
        if (p + 1 < s.Length && s[p] == '0' && s[p + 1] is 'x' or 'X' && p + 2 < s.Length && Uri.IsHexDigit(s[p + 2]))
            p += 2;
        int start = p;
        ulong value = 0;
        bool overflow = false;
        while (p < s.Length && Uri.IsHexDigit(s[p]))
        {
            if (value > (ulong.MaxValue >> 4)) overflow = true;
            value = (value << 4) | (uint)Convert.ToInt32(s[p].ToString(), 16);
            p++;
        }
        if (p == start) return null;
        if (overflow) value = ulong.MaxValue; // strtoul saturates; the uint32 store keeps the low bits
        return negative ? (uint)(0 - value) : (uint)value;
    }
}
