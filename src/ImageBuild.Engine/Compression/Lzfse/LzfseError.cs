namespace ImageBuild.Engine.Compression.Lzfse;

/// <summary>
/// Builds the one-line <see cref="InvalidDataException"/> every LZFSE failure is reported with, naming the source
/// offset of the block at fault so a corrupt DMG chunk can be located.
/// </summary>
internal static class LzfseError
{
    /// <summary>An error in the block that starts at <paramref name="blockOffset"/> of the source.</summary>
    public static InvalidDataException InBlock(long blockOffset, string what) =>
        new($"lzfse: block at source offset {blockOffset}: {what}");

    /// <summary>An error at a stream position that is not inside a block (a missing or unknown block magic).</summary>
    public static InvalidDataException AtStream(long offset, string what) =>
        new($"lzfse: at source offset {offset}: {what}");
}
