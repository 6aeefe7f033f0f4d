using System.Buffers.Binary;

namespace ImageBuild.Engine.Tests.Compression.Lzfse;

/// <summary>
/// A tiny test-side LZVN encoder: each method emits one opcode of the named class (bit layouts from the format's
/// description) and applies it to a plain byte-list model of the output, which is what the decoder must produce.
/// </summary>
public sealed class LzvnWriter
{
    private readonly List<byte> _code = [];

    /// <summary>A writer for a block that follows <paramref name="earlierOutput"/> (which matches may reach into).</summary>
    public LzvnWriter(params byte[] earlierOutput)
    {
        Expected.AddRange(earlierOutput);
        _start = earlierOutput.Length;
    }

    private readonly int _start;

    /// <summary>Bytes this block's opcodes produce (the block's raw size).</summary>
    public int BlockRawBytes => Expected.Count - _start;

    /// <summary>The output the opcodes written so far describe (literal appends, byte-by-byte match copies).</summary>
    public List<byte> Expected { get; } = [];

    /// <summary>The opcodes written so far.</summary>
    public byte[] Code => [.. _code];

    /// <summary>
    /// Longest match the LLMMMxxx forms can pair with <paramref name="literals"/> literals: the other L/M
    /// combinations' bytes belong to other opcodes (or none).
    /// </summary>
    public static int MaxShortMatch(int literals) => 10 - 2 * literals;

    /// <summary>LLMMMDDD DDDDDDDD: 0-3 literals, match 3..10, distance 0..2047.</summary>
    public LzvnWriter SmallDistance(byte[] literals, int match, int distance)
    {
        Check(literals.Length <= 3 && match >= 3 && match <= MaxShortMatch(literals.Length) && distance is >= 0 and < 2048);
        Emit((byte)((literals.Length << 6) | ((match - 3) << 3) | (distance >> 8)), (byte)distance);
        return Apply(literals, match, distance);
    }

    /// <summary>101LLMMM DDDDDDMM DDDDDDDD: 0-3 literals, match 3..34, distance 0..16383.</summary>
    public LzvnWriter MediumDistance(byte[] literals, int match, int distance)
    {
        Check(literals.Length <= 3 && match is >= 3 and <= 34 && distance is >= 0 and < 16384);
        int m = match - 3;
        ushort word = (ushort)((distance << 2) | (m & 3));
        Emit((byte)(0xA0 | (literals.Length << 3) | (m >> 2)), (byte)word, (byte)(word >> 8));
        return Apply(literals, match, distance);
    }

    /// <summary>LLMMM111 DDDDDDDD DDDDDDDD: 0-3 literals, match 3..10, distance 0..65535 (little-endian).</summary>
    public LzvnWriter LargeDistance(byte[] literals, int match, int distance)
    {
        Check(literals.Length <= 3 && match >= 3 && match <= MaxShortMatch(literals.Length) && distance is >= 0 and < 65536);
        Emit((byte)((literals.Length << 6) | ((match - 3) << 3) | 7), (byte)distance, (byte)(distance >> 8));
        return Apply(literals, match, distance);
    }

    /// <summary>LLMMM110: 1-3 literals, match 3..10 at the previous distance.</summary>
    public LzvnWriter PreviousDistance(byte[] literals, int match)
    {
        Check(literals.Length is >= 1 and <= 3 && match >= 3 && match <= MaxShortMatch(literals.Length));
        Emit((byte)((literals.Length << 6) | ((match - 3) << 3) | 6));
        return Apply(literals, match, _distance);
    }

    /// <summary>1110LLLL (1..15 literals) or 11100000 LLLLLLLL (16..271 literals).</summary>
    public LzvnWriter Literals(byte[] literals)
    {
        Check(literals.Length is >= 1 and <= 271);
        if (literals.Length < 16)
            Emit((byte)(0xE0 | literals.Length));
        else
            Emit(0xE0, (byte)(literals.Length - 16));
        return Apply(literals, 0, _distance);
    }

    /// <summary>1111MMMM (1..15) or 11110000 MMMMMMMM (16..271): a match at the previous distance.</summary>
    public LzvnWriter Match(int match)
    {
        Check(match is >= 1 and <= 271);
        if (match < 16)
            Emit((byte)(0xF0 | match));
        else
            Emit(0xF0, (byte)(match - 16));
        return Apply([], match, _distance);
    }

    /// <summary>One of the two nop opcodes.</summary>
    public LzvnWriter Nop(byte op = 0x0E)
    {
        Check(op is 0x0E or 0x16);
        Emit(op);
        return this;
    }

    /// <summary>Any byte, as is (for undefined opcodes and corruptions).</summary>
    public LzvnWriter Raw(params byte[] bytes)
    {
        _code.AddRange(bytes);
        return this;
    }

    /// <summary>The end-of-stream opcode: 0x06 and seven zero bytes.</summary>
    public LzvnWriter EndOfStream() => Raw(0x06, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>A bvxn block: magic, raw size, payload size, then the payload.</summary>
    public static byte[] Block(byte[] payload, int rawBytes)
    {
        var block = new byte[12 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(block, 0x6e787662);
        BinaryPrimitives.WriteInt32LittleEndian(block.AsSpan(4), rawBytes);
        BinaryPrimitives.WriteInt32LittleEndian(block.AsSpan(8), payload.Length);
        payload.CopyTo(block, 12);
        return block;
    }

    private int _distance;

    private LzvnWriter Apply(byte[] literals, int match, int distance)
    {
        Expected.AddRange(literals);
        _code.AddRange(literals);
        if (match > 0)
        {
            _distance = distance;
            for (int i = 0; i < match; i++)
                Expected.Add(Expected[Expected.Count - distance]);
        }
        return this;
    }

    private void Emit(params byte[] op) => _code.AddRange(op);

    private static void Check(bool ok)
    {
        if (!ok)
            throw new ArgumentOutOfRangeException(nameof(ok), "the opcode cannot hold these values");
    }
}
