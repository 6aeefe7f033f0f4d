namespace ImageBuild.Engine.Tests.Compression.Adc;

/// <summary>
/// Test-side ADC writer: emits each opcode form from the format's description and applies it to a byte-list model of
/// the output (literal append, byte-by-byte match copy).
/// </summary>
public sealed class AdcWriter
{
    private readonly List<byte> _code = [];

    /// <summary>What the opcodes written so far decode to.</summary>
    public List<byte> Expected { get; } = [];

    /// <summary>The opcodes written so far.</summary>
    public byte[] Code => [.. _code];

    /// <summary>1LLLLLLL then 1..128 literal bytes.</summary>
    public AdcWriter Literals(byte[] bytes)
    {
        if (bytes.Length is < 1 or > 128)
            throw new ArgumentOutOfRangeException(nameof(bytes));
        _code.Add((byte)(0x80 | (bytes.Length - 1)));
        _code.AddRange(bytes);
        Expected.AddRange(bytes);
        return this;
    }

    /// <summary>00MMMMDD DDDDDDDD: match of 3..18 bytes, distance 1..1024.</summary>
    public AdcWriter ShortMatch(int length, int distance)
    {
        if (length is < 3 or > 18 || distance is < 1 or > 1024)
            throw new ArgumentOutOfRangeException(nameof(length));
        int d = distance - 1;
        _code.Add((byte)(((length - 3) << 2) | (d >> 8)));
        _code.Add((byte)d);
        return Copy(length, distance);
    }

    /// <summary>01MMMMMM DDDDDDDD DDDDDDDD: match of 4..67 bytes, distance 1..65536 (big-endian, minus one).</summary>
    public AdcWriter LongMatch(int length, int distance)
    {
        if (length is < 4 or > 67 || distance is < 1 or > 65536)
            throw new ArgumentOutOfRangeException(nameof(length));
        int d = distance - 1;
        _code.Add((byte)(0x40 | (length - 4)));
        _code.Add((byte)(d >> 8));
        _code.Add((byte)d);
        return Copy(length, distance);
    }

    private AdcWriter Copy(int length, int distance)
    {
        for (int i = 0; i < length; i++)
            Expected.Add(Expected[Expected.Count - distance]);
        return this;
    }
}
