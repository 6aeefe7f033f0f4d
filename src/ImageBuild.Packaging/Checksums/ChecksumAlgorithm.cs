namespace ImageBuild.Packaging.Checksums;

/// <summary>The digests a checksum file can list: SHA-256 or SHA-512 (FIPS 180-4), as sha256sum and sha512sum print them.</summary>
public enum ChecksumAlgorithm
{
    Sha256,
    Sha512,
}

/// <summary>
/// One line of a checksum file: <see cref="Name"/> is written as is (a plain file name, relative to the directory
/// the file is checked from), <see cref="Path"/> is where the bytes to hash are read from.
/// </summary>
public sealed record ChecksumEntry(string Name, string Path);
