namespace ImageBuild.Engine.Compression;

/// <summary>
/// The LZ77 match copy LZFSE, LZVN and ADC share: <c>length</c> bytes at <c>position</c> repeat the bytes
/// <c>distance</c> back, byte by byte in increasing order, so a distance shorter than the length repeats a pattern.
/// </summary>
internal static class LzCopy
{
    /// <summary>Copies the match; the caller has checked 0 &lt; distance &lt;= position and the room for length.</summary>
    public static void Match(Span<byte> output, int position, int distance, int length)
    {
        if (distance == 1)
        {
            output.Slice(position, length).Fill(output[position - 1]);
            return;
        }
        while (length > 0)
        {
            // Each piece is at most one distance long, so its source ends where it starts: no overlap.
            int piece = Math.Min(distance, length);
            output.Slice(position - distance, piece).CopyTo(output.Slice(position, piece));
            position += piece;
            length -= piece;
        }
    }
}
