namespace ImageBuild.Engine.Crypto;

/// <summary>
/// Writes <c>data</c> to the LUKS region at byte <paramref name="offset"/> from the region's start (the image file
/// for the luks format, the crypto header clusters for qcow2). Failures are <see cref="ImageException"/>s.
/// </summary>
public delegate void LuksWriteAt(long offset, ReadOnlySpan<byte> data);
