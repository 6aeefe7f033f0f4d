using System.Globalization;

namespace ImageBuild.Engine.Options;

/// <summary>qemu_strtosz: sizes with optional binary suffix (b k M G T P E), fractions, 0x hex.</summary>
public static class SizeParser
{
    /// <summary>Parses a size as qemu does; false when malformed or above INT64_MAX.</summary>
    public static bool TryParse(string text, out long value) => TryParse(text, out value, out _);

    /// <param name="text">Input.</param>
    /// <param name="value">Result in bytes.</param>
    /// <param name="deprecatedHexSuffix">True when a hex number carried a suffix (qemu warns).</param>
    public static bool TryParse(string text, out long value, out bool deprecatedHexSuffix)
    {
        value = 0;
        deprecatedHexSuffix = false;
        int i = 0;
        while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
        string s = text[i..];
        if (s.Length == 0) return false;

        decimal number;
        int pos;
        bool hex = s.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (hex)
        {
            pos = 2;
            while (pos < s.Length && Uri.IsHexDigit(s[pos])) pos++;
            if (pos == 2) return false;
            if (!ulong.TryParse(s.AsSpan(2, pos - 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong h))
                return false;
            number = h;
            if (pos < s.Length && s[pos] == '.') return false;
        }
        else
        {
            pos = 0;
            while (pos < s.Length && char.IsAsciiDigit(s[pos])) pos++;
            if (pos == 0) return false;
            int intEnd = pos;
            bool fraction = false;
            if (pos < s.Length && s[pos] == '.')
            {
                pos++;
                int fracStart = pos;
                while (pos < s.Length && char.IsAsciiDigit(s[pos])) pos++;
                if (pos == fracStart) return false;
                fraction = true;
            }
            try
            {
                string digits = s[..pos];
                if (digits.Length > 40) return false;
                number = decimal.Parse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            }
            catch (OverflowException) { return false; }
            if (fraction && (pos == s.Length || s[pos] is 'b' or 'B')) return false; // a fraction needs a unit above bytes
            _ = intEnd;
        }

        decimal mult = 1;
        if (pos < s.Length)
        {
            int shift = char.ToLowerInvariant(s[pos]) switch
            {
                'b' => 0, 'k' => 10, 'm' => 20, 'g' => 30, 't' => 40, 'p' => 50, 'e' => 60, _ => -1,
            };
            if (shift < 0) return false;
            mult = (decimal)(1UL << shift);
            if (hex && shift > 0) deprecatedHexSuffix = true;
            pos++;
        }
        if (pos != s.Length) return false;

        decimal result = decimal.Truncate(number * mult);
        if (result > long.MaxValue) return false;
        value = (long)result;
        return true;
    }
}
