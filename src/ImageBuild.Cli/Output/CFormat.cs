using System.Globalization;

namespace ImageBuild.Cli.Output;

/// <summary>The few printf conversions qemu-img's output uses, with C semantics.</summary>
public static class CFormat
{
    /// <summary>printf("%.{precision}g", v) for finite non-negative or negative doubles.</summary>
    public static string G(double v, int precision)
    {
        if (precision == 0) precision = 1;
        if (v == 0) return v.ToString(CultureInfo.InvariantCulture).StartsWith('-') ? "-0" : "0";
        // Round to 'precision' significant digits first; the exponent of the rounded value decides the style.
        string e = v.ToString("E" + (precision - 1).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        int ePos = e.IndexOf('E');
        int exp = int.Parse(e[(ePos + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        if (exp < -4 || exp >= precision)
        {
            string mant = StripZeros(e[..ePos]);
            return $"{mant}e{(exp < 0 ? '-' : '+')}{Math.Abs(exp):00}";
        }
        string f = v.ToString("F" + (precision - 1 - exp).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return StripZeros(f);
    }

    /// <summary>printf("%.{decimals}f", v).</summary>
    public static string F(double v, int decimals) =>
        v.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>printf("%#-16" PRIx64, v): 0x-prefixed lowercase hex (plain "0" for zero), left-aligned in 16 columns.</summary>
    public static string HexAlt16(long v)
    {
        string s = v == 0 ? "0" : "0x" + v.ToString("x", CultureInfo.InvariantCulture);
        return s.PadRight(16);
    }

    private static string StripZeros(string s)
    {
        if (!s.Contains('.')) return s;
        s = s.TrimEnd('0');
        return s.EndsWith('.') ? s[..^1] : s;
    }
}
