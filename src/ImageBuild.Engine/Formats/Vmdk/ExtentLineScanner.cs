namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>
/// qemu's extent line sscanf, `%10s %lld %10s "%511[^\n\r"]" %lld`, from one position of the descriptor: like sscanf
/// it skips whitespace (newlines included) between fields, so a field may come from a following line.
/// </summary>
internal readonly struct ExtentLineScanner(string text, int start)
{
    /// <summary>qemu's char fname[512].</summary>
    private const int MaxFileName = 511;

    /// <summary>The number of fields read, as sscanf returns it (0..5; -1 when the input ended before the first).</summary>
    public int Scan(out string access, out long sectors, out string type, out string file, out long flatOffset)
    {
        access = type = file = "";
        sectors = 0;
        flatOffset = -1;
        int p = start;
        string? a = CScan.Word(text, ref p, 10);
        if (a is null) return -1;
        access = a;
        long? n = CScan.Decimal(text, ref p);
        if (n is null) return 1;
        sectors = n.Value;
        string? t = CScan.Word(text, ref p, 10);
        if (t is null) return 2;
        type = t;
        p = CScan.SkipSpace(text, p);
        if (p >= text.Length || text[p] != '"') return 3;
        p++;
        int nameStart = p;
        while (p < text.Length && p - nameStart < MaxFileName && text[p] is not ('\n' or '\r' or '"')) p++;
        if (p == nameStart) return 3;
        file = text[nameStart..p];
        if (p >= text.Length || text[p] != '"') return 4;
        p++;
        long? offset = CScan.Decimal(text, ref p);
        if (offset is null) return 4;
        flatOffset = offset.Value;
        return 5;
    }
}
