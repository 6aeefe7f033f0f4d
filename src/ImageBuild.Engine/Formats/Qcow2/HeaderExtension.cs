using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>One header extension {u32 type, u32 length, data padded to 8}.</summary>
internal sealed record HeaderExtension(uint Type, byte[] Data)
{
    public const uint End = 0;
    public const uint BackingFormat = 0xE2792ACA;
    public const uint FeatureTable = 0x6803F857;
    public const uint Bitmaps = 0x23852875;
    public const uint CryptoHeader = 0x0537BE77;
    public const uint DataFile = 0x44415441;

    public int PaddedSize => 8 + ((Data.Length + 7) & ~7);

    /// <summary>Reads extensions from [start, end) of the header cluster up to the end marker (qcow2_read_extensions).</summary>
    /// <remarks>Lazy, as qemu handles each extension before reading the next: a bad extension fails before a later one.</remarks>
    public static IEnumerable<HeaderExtension> ReadAll(byte[] cluster, int start, int end, string filename)
    {
        int offset = start;
        while (offset < end)
        {
            if (end - offset < 8)
                throw new ImageException("Header extension too large");
            uint type = BinaryPrimitives.ReadUInt32BigEndian(cluster.AsSpan(offset));
            uint len = BinaryPrimitives.ReadUInt32BigEndian(cluster.AsSpan(offset + 4));
            offset += 8;
            if (len > (uint)(end - offset))
                throw new ImageException($"Header extension too large");
            if (type == End)
                yield break;
            yield return new HeaderExtension(type, cluster.AsSpan(offset, (int)len).ToArray());
            offset += (int)((len + 7) & ~7u);
        }
    }

    /// <summary>Writes this extension at <paramref name="offset"/>; returns the new offset.</summary>
    public int WriteTo(Span<byte> buf, int offset)
    {
        BinaryPrimitives.WriteUInt32BigEndian(buf[offset..], Type);
        BinaryPrimitives.WriteUInt32BigEndian(buf[(offset + 4)..], (uint)Data.Length);
        Data.CopyTo(buf[(offset + 8)..]);
        return offset + PaddedSize;
    }
}

/// <summary>The feature name table extension qemu writes: 48-byte entries {u8 type, u8 bit, char name[46]}.</summary>
internal static class FeatureNameTable
{
    public const int EntrySize = 48;

    public static readonly (byte Type, byte Bit, string Name)[] QemuEntries =
    [
        (0, 0, "dirty bit"),
        (0, 1, "corrupt bit"),
        (0, 2, "external data file"),
        (0, 3, "compression type"),
        (0, 4, "extended L2 entries"),
        (1, 0, "lazy refcounts"),
        (2, 0, "bitmaps"),
        (2, 1, "raw external data"),
    ];

    public static byte[] Build()
    {
        var data = new byte[QemuEntries.Length * EntrySize];
        for (int i = 0; i < QemuEntries.Length; i++)
        {
            var (type, bit, name) = QemuEntries[i];
            data[i * EntrySize] = type;
            data[i * EntrySize + 1] = bit;
            System.Text.Encoding.ASCII.GetBytes(name).CopyTo(data, i * EntrySize + 2);
        }
        return data;
    }

    /// <summary>Names of incompatible features whose bits are in <paramref name="mask"/>, from an image's table.</summary>
    public static List<(int Bit, string Name)> Incompatible(ReadOnlySpan<byte> table)
    {
        var result = new List<(int, string)>();
        for (int o = 0; o + EntrySize <= table.Length; o += EntrySize)
        {
            if (table[o] != 0) continue;
            var name = table.Slice(o + 2, 46);
            int nul = name.IndexOf((byte)0);
            result.Add((table[o + 1], System.Text.Encoding.UTF8.GetString(nul < 0 ? name : name[..nul])));
        }
        return result;
    }
}
