namespace ImageBuild.Cli.Output;

/// <summary>qemu's size_to_str: "%0.3g" of the value in the largest binary unit below 1000 of it, e.g. "1.5 KiB".</summary>
public static class SizeFormatter
{
    private static readonly string[] Suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

    public static string Format(ulong value)
    {
        // frexp's exponent of value*1024/1000, minus one, divided by ten picks the unit, switching once the
        // integer part would reach 1000.
        int exponent = FrexpExponent(value / (1000.0 / 1024.0));
        int i = (exponent - 1) / 10;
        ulong div = 1UL << (i * 10);
        return $"{CFormat.G((double)value / div, 3)} {Suffixes[i]}B";
    }

    public static string Format(long value) => Format(unchecked((ulong)value));

    /// <summary>The exponent frexp returns: x = m * 2^e with 0.5 &lt;= m &lt; 1 (0 for x = 0).</summary>
    internal static int FrexpExponent(double x)
    {
        if (x == 0) return 0;
        return Math.ILogB(x) + 1;
    }
}
