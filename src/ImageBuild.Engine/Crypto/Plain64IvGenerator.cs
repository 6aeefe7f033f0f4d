using System.Buffers.Binary;

namespace ImageBuild.Engine.Crypto;

/// <summary>qemu's <c>plain64</c> ivgen: the 64-bit sector number, little-endian, then zeros (the XTS tweak LUKS uses).</summary>
public sealed class Plain64IvGenerator : IvGenerator
{
    /// <inheritdoc />
    public override string Name => "plain64";

    /// <inheritdoc />
    public override void Compute(ulong sector, Span<byte> iv)
    {
        iv.Clear();
        Span<byte> le = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(le, sector);
        le[..Math.Min(8, iv.Length)].CopyTo(iv);
    }
}
