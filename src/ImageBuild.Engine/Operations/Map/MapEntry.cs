namespace ImageBuild.Engine.Operations;

/// <summary>One extent of qemu-img map (qemu's MapEntry).</summary>
/// <param name="Start">Guest offset.</param>
/// <param name="Length">Bytes.</param>
/// <param name="Depth">Backing layers descended before the layer that decides the content.</param>
/// <param name="Present">The range is allocated in some layer (BDRV_BLOCK_ALLOCATED).</param>
/// <param name="Zero">Reads as zeros.</param>
/// <param name="Data">Reads from storage.</param>
/// <param name="Compressed">Stored compressed.</param>
/// <param name="Offset">Host offset when the range maps 1:1 to a file.</param>
/// <param name="Filename">The file holding the bytes when <paramref name="Offset"/> is known.</param>
public sealed record MapEntry(
    long Start, long Length, int Depth, bool Present, bool Zero, bool Data, bool Compressed, long? Offset, string? Filename)
{
    public long End => Start + Length;
}
