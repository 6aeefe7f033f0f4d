using System.Buffers.Binary;

namespace ImageBuild.Engine.Compression.Lzfse;

/// <summary>
/// Decodes the payload of an LZVN (bvxn) block: a byte-aligned sequence of opcodes, each optionally followed by its
/// literal bytes, ended by the end-of-stream opcode, which must close the payload exactly and leave the block's raw
/// size written. Matches may reach back into earlier blocks' output.
/// </summary>
internal static class LzvnDecoder
{
    /// <summary>
    /// Decodes <paramref name="payload"/> (which starts at <paramref name="payloadOffset"/> of the source) into
    /// <paramref name="output"/> from <paramref name="position"/> to exactly <paramref name="blockEnd"/>.
    /// </summary>
    public static void Decode(ReadOnlySpan<byte> payload, long payloadOffset, Span<byte> output, int position, int blockEnd, long blockOffset)
    {
        int s = 0;
        int distance = 0;
        while (true)
        {
            if (s >= payload.Length)
                throw LzfseError.InBlock(blockOffset, "lzvn payload ends without an end-of-stream opcode");
            byte op = payload[s];
            long opOffset = payloadOffset + s;
            int literals = 0, match = 0, size;
            switch (LzvnOpcode.Classify(op))
            {
                case LzvnOpcodeKind.SmallDistance:
                    size = 2;
                    Need(payload, s, size, blockOffset, opOffset);
                    literals = op >> 6;
                    match = ((op >> 3) & 7) + 3;
                    distance = ((op & 7) << 8) | payload[s + 1];
                    break;
                case LzvnOpcodeKind.MediumDistance:
                    size = 3;
                    Need(payload, s, size, blockOffset, opOffset);
                    ushort word = BinaryPrimitives.ReadUInt16LittleEndian(payload[(s + 1)..]);
                    literals = (op >> 3) & 3;
                    match = (((op & 7) << 2) | (word & 3)) + 3;
                    distance = word >> 2;
                    break;
                case LzvnOpcodeKind.LargeDistance:
                    size = 3;
                    Need(payload, s, size, blockOffset, opOffset);
                    literals = op >> 6;
                    match = ((op >> 3) & 7) + 3;
                    distance = BinaryPrimitives.ReadUInt16LittleEndian(payload[(s + 1)..]);
                    break;
                case LzvnOpcodeKind.PreviousDistance:
                    size = 1;
                    literals = op >> 6;
                    match = ((op >> 3) & 7) + 3;
                    break;
                case LzvnOpcodeKind.SmallLiteral:
                    size = 1;
                    literals = op & 15;
                    break;
                case LzvnOpcodeKind.LargeLiteral:
                    size = 2;
                    Need(payload, s, size, blockOffset, opOffset);
                    literals = payload[s + 1] + 16;
                    break;
                case LzvnOpcodeKind.SmallMatch:
                    size = 1;
                    match = op & 15;
                    break;
                case LzvnOpcodeKind.LargeMatch:
                    size = 2;
                    Need(payload, s, size, blockOffset, opOffset);
                    match = payload[s + 1] + 16;
                    break;
                case LzvnOpcodeKind.Nop:
                    size = 1;
                    break;
                case LzvnOpcodeKind.EndOfStream:
                    Need(payload, s, 8, blockOffset, opOffset);
                    if (s + 8 != payload.Length)
                        throw LzfseError.InBlock(blockOffset, $"lzvn end-of-stream at source offset {opOffset} leaves {payload.Length - s - 8} payload bytes unread");
                    if (position != blockEnd)
                        throw LzfseError.InBlock(blockOffset, $"lzvn stream ends {blockEnd - position} bytes short of the block's raw size");
                    return;
                default:
                    throw LzfseError.InBlock(blockOffset, $"lzvn opcode 0x{op:x2} at source offset {opOffset} is undefined");
            }
            s += size;
            if (literals > 0)
            {
                if (literals > payload.Length - s)
                    throw LzfseError.InBlock(blockOffset, $"lzvn literal run of {literals} at source offset {opOffset} passes the payload's end");
                if (literals > blockEnd - position)
                    throw LzfseError.InBlock(blockOffset, $"lzvn literal run of {literals} at source offset {opOffset} overflows the block's raw size");
                payload.Slice(s, literals).CopyTo(output[position..]);
                s += literals;
                position += literals;
            }
            if (match > 0)
            {
                if (distance == 0 || distance > position)
                    throw LzfseError.InBlock(blockOffset, $"lzvn match distance {distance} at source offset {opOffset} points before the output's start (output offset {position})");
                if (match > blockEnd - position)
                    throw LzfseError.InBlock(blockOffset, $"lzvn match of {match} at source offset {opOffset} overflows the block's raw size");
                LzCopy.Match(output, position, distance, match);
                position += match;
            }
        }
    }

    private static void Need(ReadOnlySpan<byte> payload, int s, int size, long blockOffset, long opOffset)
    {
        if (size > payload.Length - s)
            throw LzfseError.InBlock(blockOffset, $"lzvn opcode at source offset {opOffset} needs {size} bytes, the payload has {payload.Length - s}");
    }
}
