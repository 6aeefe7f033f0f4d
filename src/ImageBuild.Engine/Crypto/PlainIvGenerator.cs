using System.Buffers.Binary;

namespace ImageBuild.Engine.Crypto;

/// <summary>qemu's <c>plain</c> ivgen: the sector number truncated to 32 bits, little-endian, then zeros.</summary>
public sealed class PlainIvGenerator : IvGenerator
{
    /// <inheritdoc />
    public override string Name => "plain";

    /// <inheritdoc />
    public override void Compute(ulong sector, Span<byte> iv)
    {
        iv.Clear();
        Span<byte> le = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(le, (uint)sector);
        le[..Math.Min(4, iv.Length)].CopyTo(iv);
    }
}
