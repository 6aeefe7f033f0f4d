namespace ImageBuild.Engine.Compression.Lzfse;

/// <summary>The kinds of LZVN opcode; the first byte alone decides which.</summary>
internal enum LzvnOpcodeKind : byte
{
    /// <summary>Not a valid opcode: the stream is corrupt.</summary>
    Undefined,

    /// <summary>LLMMMDDD DDDDDDDD: 0-3 literals, match of 3-10 at an 11-bit distance.</summary>
    SmallDistance,

    /// <summary>101LLMMM DDDDDDMM DDDDDDDD: 0-3 literals, match of 3-34 at a 14-bit distance.</summary>
    MediumDistance,

    /// <summary>LLMMM111 DDDDDDDD DDDDDDDD: 0-3 literals, match of 3-10 at a 16-bit distance.</summary>
    LargeDistance,

    /// <summary>LLMMM110: 0-3 literals, match of 3-10 at the previous distance.</summary>
    PreviousDistance,

    /// <summary>1110LLLL: 1-15 literals.</summary>
    SmallLiteral,

    /// <summary>11100000 LLLLLLLL: 16-271 literals.</summary>
    LargeLiteral,

    /// <summary>1111MMMM: match of 1-15 at the previous distance.</summary>
    SmallMatch,

    /// <summary>11110000 MMMMMMMM: match of 16-271 at the previous distance.</summary>
    LargeMatch,

    /// <summary>No operation (0x0E, 0x16).</summary>
    Nop,

    /// <summary>0x06 and 7 padding bytes: end of the block's stream.</summary>
    EndOfStream,
}

/// <summary>
/// Classifies LZVN opcode bytes. The literal-and-match forms (LLMMMxxx) are valid only for the L/M combinations the
/// format assigns them: with L = 0 every M; with L = 1 M up to 8; with L = 2 M up to 6 (101xxxxx is the medium form);
/// with L = 3 M up to 4 (1101xxxx is undefined, 111xxxxx are the literal-only and match-only forms). The L = 0,
/// previous-distance slots carry end-of-stream, the two nops, and otherwise nothing.
/// </summary>
internal static class LzvnOpcode
{
    private static readonly LzvnOpcodeKind[] Kinds = BuildKinds();

    /// <summary>The kind of opcode <paramref name="op"/>.</summary>
    public static LzvnOpcodeKind Classify(byte op) => Kinds[op];

    private static LzvnOpcodeKind[] BuildKinds()
    {
        var kinds = new LzvnOpcodeKind[256];
        for (int op = 0; op < 256; op++)
            kinds[op] = ClassifySlow(op);
        return kinds;
    }

    private static LzvnOpcodeKind ClassifySlow(int op)
    {
        if (op >= 0xF0)
            return op == 0xF0 ? LzvnOpcodeKind.LargeMatch : LzvnOpcodeKind.SmallMatch;
        if (op >= 0xE0)
            return op == 0xE0 ? LzvnOpcodeKind.LargeLiteral : LzvnOpcodeKind.SmallLiteral;
        if (op is >= 0xA0 and < 0xC0)
            return LzvnOpcodeKind.MediumDistance;
        int literals = op >> 6;
        int matchField = (op >> 3) & 7;
        int maxMatchField = literals switch { 0 => 7, 1 => 5, 2 => 3, _ => 1 };
        if (matchField > maxMatchField)
            return LzvnOpcodeKind.Undefined;
        switch (op & 7)
        {
            case 7:
                return LzvnOpcodeKind.LargeDistance;
            case 6 when literals > 0:
                return LzvnOpcodeKind.PreviousDistance;
            case 6:
                return op switch { 0x06 => LzvnOpcodeKind.EndOfStream, 0x0E or 0x16 => LzvnOpcodeKind.Nop, _ => LzvnOpcodeKind.Undefined };
            default:
                return LzvnOpcodeKind.SmallDistance;
        }
    }
}
