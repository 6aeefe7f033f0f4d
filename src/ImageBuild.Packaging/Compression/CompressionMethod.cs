namespace ImageBuild.Packaging.Compression;

/// <summary>
/// The compressed formats an artifact can be written in: a gzip member (RFC 1952), a zstd frame (RFC 8878) or an
/// .xz stream (the .xz file format specification, 1.1.0). <see cref="Compressors"/> names, levels and writes them.
/// </summary>
public enum CompressionMethod
{
    Gzip,
    Zstd,
    Xz,
}

/// <summary>The levels a <see cref="CompressionMethod"/> accepts (inclusive) and the one used when none is given.</summary>
public sealed record CompressionLevels(int Min, int Max, int Default);

/// <summary>What <see cref="Compressors.CompressFile"/> did: bytes read from the source and written to the destination.</summary>
public sealed record CompressResult(long InputBytes, long OutputBytes);
