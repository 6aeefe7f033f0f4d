using System.Buffers.Binary;

namespace ImageBuild.Engine.Crypto;

/// <summary>
/// One of the eight LUKS1 key slots (48 bytes, big-endian): state (0x00AC71F3 active, 0x0000DEAD disabled),
/// PBKDF2 iterations, 32-byte salt, the key material's offset in 512-byte sectors and the AF stripe count.
/// </summary>
public sealed class LuksKeySlot
{
    /// <summary>On-disk size of a key slot.</summary>
    public const int Size = 48;

    /// <summary>The state of an active slot.</summary>
    public const uint Enabled = 0x00AC71F3;

    /// <summary>The state of a disabled slot.</summary>
    public const uint Disabled = 0x0000DEAD;

    /// <summary>The salt length.</summary>
    public const int SaltLength = 32;

    /// <summary>The raw state word.</summary>
    public uint State { get; set; } = Disabled;

    /// <summary>True when <see cref="State"/> is <see cref="Enabled"/>.</summary>
    public bool IsActive => State == Enabled;

    /// <summary>PBKDF2 iterations for the slot key.</summary>
    public uint Iterations { get; set; }

    /// <summary>The PBKDF2 salt (32 bytes).</summary>
    public byte[] Salt { get; set; } = new byte[SaltLength];

    /// <summary>Start of the key material in 512-byte sectors from the start of the volume.</summary>
    public uint KeyMaterialOffsetSector { get; set; }

    /// <summary>Anti-forensic stripes (4000 in every LUKS1 volume qemu and cryptsetup accept).</summary>
    public uint Stripes { get; set; }

    /// <summary>Reads a slot from its 48 bytes.</summary>
    public static LuksKeySlot Read(ReadOnlySpan<byte> raw) => new()
    {
        State = BinaryPrimitives.ReadUInt32BigEndian(raw),
        Iterations = BinaryPrimitives.ReadUInt32BigEndian(raw[4..]),
        Salt = raw.Slice(8, SaltLength).ToArray(),
        KeyMaterialOffsetSector = BinaryPrimitives.ReadUInt32BigEndian(raw[40..]),
        Stripes = BinaryPrimitives.ReadUInt32BigEndian(raw[44..]),
    };

    /// <summary>Writes the slot's 48 bytes.</summary>
    public void Write(Span<byte> raw)
    {
        BinaryPrimitives.WriteUInt32BigEndian(raw, State);
        BinaryPrimitives.WriteUInt32BigEndian(raw[4..], Iterations);
        raw.Slice(8, SaltLength).Clear();
        Salt.AsSpan(0, Math.Min(SaltLength, Salt.Length)).CopyTo(raw[8..]);
        BinaryPrimitives.WriteUInt32BigEndian(raw[40..], KeyMaterialOffsetSector);
        BinaryPrimitives.WriteUInt32BigEndian(raw[44..], Stripes);
    }
}
