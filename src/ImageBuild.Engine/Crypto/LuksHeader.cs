using System.Buffers.Binary;
using System.Text;

namespace ImageBuild.Engine.Crypto;

/// <summary>
/// The LUKS1 partition header (592 bytes at offset 0, big-endian): magic <c>LUKS\xba\xbe</c>, version 1, cipher
/// name, cipher mode, hash spec, payload offset (sectors), key bytes, master-key digest (20 bytes), its salt and
/// iterations, UUID and eight <see cref="LuksKeySlot"/>s. <see cref="Parse"/> applies qemu 7.2's sanity checks with
/// its messages, then parses the cipher description into <see cref="Spec"/>.
/// </summary>
public sealed class LuksHeader
{
    /// <summary>On-disk size of the header.</summary>
    public const int Size = 592;

    /// <summary>Number of key slots.</summary>
    public const int KeySlotCount = 8;

    /// <summary>The stripe count qemu requires in every slot.</summary>
    public const int Stripes = 4000;

    /// <summary>The master key digest length.</summary>
    public const int DigestLength = 20;

    /// <summary>Bytes reserved for the header before key material: key slots may not start below it.</summary>
    public const int KeySlotAreaOffset = 4096;

    /// <summary>The LUKS sector size.</summary>
    public const int SectorSize = 512;

    private const int StringLength = 32;
    private const int UuidLength = 40;
    private const int SlotsOffset = 208;

    /// <summary>The magic bytes.</summary>
    public static ReadOnlySpan<byte> Magic => [(byte)'L', (byte)'U', (byte)'K', (byte)'S', 0xBA, 0xBE];

    /// <summary>The format version (1).</summary>
    public ushort Version { get; set; } = 1;

    /// <summary>Cipher name, e.g. <c>aes</c>.</summary>
    public string CipherName { get; set; } = "";

    /// <summary>Cipher mode, e.g. <c>xts-plain64</c>.</summary>
    public string CipherMode { get; set; } = "";

    /// <summary>Hash spec, e.g. <c>sha256</c>.</summary>
    public string HashSpec { get; set; } = "";

    /// <summary>Start of the encrypted payload in 512-byte sectors.</summary>
    public uint PayloadOffsetSector { get; set; }

    /// <summary>The volume (master) key length in bytes.</summary>
    public uint KeyBytes { get; set; }

    /// <summary>PBKDF2 of the master key with <see cref="MasterKeyDigestSalt"/> (20 bytes), to recognise the right key.</summary>
    public byte[] MasterKeyDigest { get; set; } = new byte[DigestLength];

    /// <summary>Salt of the master key digest (32 bytes).</summary>
    public byte[] MasterKeyDigestSalt { get; set; } = new byte[LuksKeySlot.SaltLength];

    /// <summary>PBKDF2 iterations of the master key digest.</summary>
    public uint MasterKeyDigestIterations { get; set; }

    /// <summary>The volume UUID as text.</summary>
    public string Uuid { get; set; } = "";

    /// <summary>The eight key slots.</summary>
    public LuksKeySlot[] KeySlots { get; } = Enumerable.Range(0, KeySlotCount).Select(_ => new LuksKeySlot()).ToArray();

    /// <summary>The parsed cipher description (set by <see cref="Parse"/>).</summary>
    public LuksCipherSpec Spec { get; private set; } = null!;

    /// <summary>Payload start in bytes.</summary>
    public long PayloadOffset => (long)PayloadOffsetSector * SectorSize;

    /// <summary>Bytes of one slot's key material before rounding: key bytes times stripes.</summary>
    public long SplitKeyLength(LuksKeySlot slot) => (long)KeyBytes * slot.Stripes;

    /// <summary>Sectors one slot's key material occupies, rounded up to the header's 4096-byte alignment, as qemu counts them.</summary>
    public long SplitKeySectors(LuksKeySlot slot)
    {
        long sectors = (SplitKeyLength(slot) + SectorSize - 1) / SectorSize;
        const int align = KeySlotAreaOffset / SectorSize;
        return (sectors + align - 1) / align * align;
    }

    /// <summary>Reads and checks a header; throws <see cref="ImageException"/> with qemu's message when it is unusable.</summary>
    public static LuksHeader Parse(ReadOnlySpan<byte> raw)
    {
        if (raw.Length < Size) throw new ImageException("Volume is not in LUKS format");
        if (!raw[..6].SequenceEqual(Magic)) throw new ImageException("Volume is not in LUKS format");
        var h = new LuksHeader { Version = BinaryPrimitives.ReadUInt16BigEndian(raw[6..]) };
        if (h.Version != 1) throw new ImageException($"LUKS version {h.Version} is not supported");

        h.CipherName = ReadString(raw.Slice(8, StringLength), "LUKS header cipher name is not NUL terminated");
        h.CipherMode = ReadString(raw.Slice(40, StringLength), "LUKS header cipher mode is not NUL terminated");
        h.HashSpec = ReadString(raw.Slice(72, StringLength), "LUKS header hash spec is not NUL terminated");
        h.PayloadOffsetSector = BinaryPrimitives.ReadUInt32BigEndian(raw[104..]);
        h.KeyBytes = BinaryPrimitives.ReadUInt32BigEndian(raw[108..]);
        h.MasterKeyDigest = raw.Slice(112, DigestLength).ToArray();
        h.MasterKeyDigestSalt = raw.Slice(132, LuksKeySlot.SaltLength).ToArray();
        h.MasterKeyDigestIterations = BinaryPrimitives.ReadUInt32BigEndian(raw[164..]);
        var uuid = raw.Slice(168, UuidLength);
        int nul = uuid.IndexOf((byte)0);
        h.Uuid = Encoding.ASCII.GetString(nul < 0 ? uuid : uuid[..nul]);
        for (int i = 0; i < KeySlotCount; i++)
            h.KeySlots[i] = LuksKeySlot.Read(raw.Slice(SlotsOffset + i * LuksKeySlot.Size, LuksKeySlot.Size));

        h.Check();
        h.Spec = LuksCipherSpec.Parse(h.CipherName, h.CipherMode, h.HashSpec, checked((int)Math.Min(h.KeyBytes, int.MaxValue)));
        return h;
    }

    /// <summary>Reads the header from the first 592 bytes of <paramref name="stream"/> (from its start).</summary>
    public static LuksHeader Read(Stream stream)
    {
        var raw = new byte[Size];
        stream.Position = 0;
        int got = stream.ReadAtLeast(raw, Size, throwOnEndOfStream: false);
        if (got < Size) throw new ImageException("Volume is not in LUKS format");
        return Parse(raw);
    }

    /// <summary>Serialises the header to its 592 bytes.</summary>
    public byte[] ToBytes()
    {
        var raw = new byte[Size];
        Magic.CopyTo(raw);
        BinaryPrimitives.WriteUInt16BigEndian(raw.AsSpan(6), Version);
        WriteString(raw.AsSpan(8, StringLength), CipherName);
        WriteString(raw.AsSpan(40, StringLength), CipherMode);
        WriteString(raw.AsSpan(72, StringLength), HashSpec);
        BinaryPrimitives.WriteUInt32BigEndian(raw.AsSpan(104), PayloadOffsetSector);
        BinaryPrimitives.WriteUInt32BigEndian(raw.AsSpan(108), KeyBytes);
        MasterKeyDigest.AsSpan(0, Math.Min(DigestLength, MasterKeyDigest.Length)).CopyTo(raw.AsSpan(112));
        MasterKeyDigestSalt.AsSpan(0, Math.Min(LuksKeySlot.SaltLength, MasterKeyDigestSalt.Length)).CopyTo(raw.AsSpan(132));
        BinaryPrimitives.WriteUInt32BigEndian(raw.AsSpan(164), MasterKeyDigestIterations);
        WriteString(raw.AsSpan(168, UuidLength), Uuid);
        for (int i = 0; i < KeySlotCount; i++)
            KeySlots[i].Write(raw.AsSpan(SlotsOffset + i * LuksKeySlot.Size, LuksKeySlot.Size));
        return raw;
    }

    /// <summary>qemu's qcrypto_block_luks_check_header, in its order.</summary>
    private void Check()
    {
        const int headerSectors = KeySlotAreaOffset / SectorSize;
        if (PayloadOffsetSector < headerSectors) throw new ImageException("LUKS payload is overlapping with the header");
        if (MasterKeyDigestIterations == 0) throw new ImageException("LUKS key iteration count is zero");
        for (int i = 0; i < KeySlotCount; i++)
        {
            var s1 = KeySlots[i];
            if (s1.Stripes != Stripes)
                throw new ImageException($"Keyslot {i} is corrupted (stripes {(int)s1.Stripes} != {Stripes})");
            if (s1.State is not (LuksKeySlot.Enabled or LuksKeySlot.Disabled))
                throw new ImageException($"Keyslot {i} state (active/disable) is corrupted");
            if (s1.IsActive && s1.Iterations == 0)
                throw new ImageException($"Keyslot {i} iteration count is zero");
            if (s1.KeyMaterialOffsetSector < headerSectors)
                throw new ImageException($"Keyslot {i} is overlapping with the LUKS header");
            long start1 = s1.KeyMaterialOffsetSector, len1 = SplitKeySectors(s1);
            if (start1 + len1 > PayloadOffsetSector)
                throw new ImageException($"Keyslot {i} is overlapping with the encrypted payload");
            for (int j = i + 1; j < KeySlotCount; j++)
            {
                var s2 = KeySlots[j];
                long start2 = s2.KeyMaterialOffsetSector, len2 = SplitKeySectors(s2);
                if (start1 + len1 > start2 && start2 + len2 > start1)
                    throw new ImageException($"Keyslots {i} and {j} are overlapping in the header");
            }
        }
    }

    private static string ReadString(ReadOnlySpan<byte> field, string notTerminated)
    {
        int nul = field.IndexOf((byte)0);
        if (nul < 0) throw new ImageException(notTerminated);
        return Encoding.ASCII.GetString(field[..nul]);
    }

    private static void WriteString(Span<byte> field, string value)
    {
        field.Clear();
        Encoding.ASCII.GetBytes(value.AsSpan(0, Math.Min(value.Length, field.Length - 1)), field);
    }
}
