using System.Globalization;
using System.Numerics;

namespace ImageBuild.Cli.Output;

/// <summary>
/// The few printf conversions qemu-img's output uses, with glibc's semantics: the exact binary value is rounded
/// half-to-even (so 1.125 prints as "1.12" with "%.2f").
/// </summary>
public static class CFormat
{
    /// <summary>printf("%.{precision}g", v) for finite values.</summary>
    public static string G(double v, int precision)
    {
        if (precision == 0) precision = 1;
        if (v == 0) return double.IsNegative(v) ? "-0" : "0";
        string sign = v < 0 ? "-" : "";
        double a = Math.Abs(v);
        int exp = (int)Math.Floor(Math.Log10(a));
        BigInteger q = RoundScaled(a, precision - 1 - exp);
        BigInteger limit = BigInteger.Pow(10, precision);
        if (q >= limit)
        {
            exp++;
            q = RoundScaled(a, precision - 1 - exp);
        }
        else if (q < limit / 10)
        {
            exp--;
            q = RoundScaled(a, precision - 1 - exp);
        }
        string digits = q.ToString(CultureInfo.InvariantCulture);
        if (exp < -4 || exp >= precision)
        {
            string mant = StripZeros(digits.Length > 1 ? digits[..1] + "." + digits[1..] : digits);
            return $"{sign}{mant}e{(exp < 0 ? '-' : '+')}{Math.Abs(exp):00}";
        }
        return sign + StripZeros(InsertPoint(digits, precision - 1 - exp));
    }

    /// <summary>printf("%.{decimals}f", v) for finite values.</summary>
    public static string F(double v, int decimals)
    {
        string sign = v < 0 || double.IsNegative(v) ? "-" : "";
        return sign + InsertPoint(RoundScaled(Math.Abs(v), decimals).ToString(CultureInfo.InvariantCulture), decimals);
    }

    /// <summary>printf("%#-16" PRIx64, v): 0x-prefixed lowercase hex (plain "0" for zero), left-aligned in 16 columns.</summary>
    public static string HexAlt16(long v)
    {
        string s = v == 0 ? "0" : "0x" + v.ToString("x", CultureInfo.InvariantCulture);
        return s.PadRight(16);
    }

    /// <summary>round-half-even(a * 10^scale) computed exactly from the binary value of <paramref name="a"/> (a ≥ 0).</summary>
    internal static BigInteger RoundScaled(double a, int scale)
    {
        long bits = BitConverter.DoubleToInt64Bits(a);
        int rawExp = (int)((bits >> 52) & 0x7FF);
        long frac = bits & 0xFFFFFFFFFFFFFL;
        BigInteger mant = rawExp == 0 ? frac : frac | (1L << 52);
        int e2 = (rawExp == 0 ? 1 : rawExp) - 1075;
        // value = mant * 2^e2; scaled = mant * 2^e2 * 10^scale = num / den
        BigInteger num = mant, den = BigInteger.One;
        if (e2 >= 0) num <<= e2; else den <<= -e2;
        if (scale >= 0) num *= BigInteger.Pow(10, scale); else den *= BigInteger.Pow(10, -scale);
        BigInteger q = BigInteger.DivRem(num, den, out BigInteger r);
        int cmp = (r * 2).CompareTo(den);
        if (cmp > 0 || (cmp == 0 && !q.IsEven))
            q += 1;
        return q;
    }

    private static string InsertPoint(string digits, int decimals)
    {
        if (decimals <= 0) return digits;
        if (digits.Length <= decimals) digits = new string('0', decimals - digits.Length + 1) + digits;
        return digits[..^decimals] + "." + digits[^decimals..];
    }

    private static string StripZeros(string s)
    {
        if (!s.Contains('.')) return s;
        s = s.TrimEnd('0');
        return s.EndsWith('.') ? s[..^1] : s;
    }
}
