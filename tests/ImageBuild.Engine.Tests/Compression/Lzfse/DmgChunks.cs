using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Compression.Lzfse;

/// <summary>One chunk of a UDIF (DMG) image: its type, the sectors it decodes to and its stored bytes.</summary>
public sealed record DmgChunk(uint Type, long FirstSector, long SectorCount, byte[] Data);

/// <summary>
/// Test-side reader of the real macOS DMGs in ../shared/images/node-udif: finds the koly trailer, the XML plist it
/// points at, the base64 'mish' blocks in it and their 40-byte chunk entries, and returns the chunks' stored bytes.
/// Just enough of UDIF to feed the codecs real data; the images are read at run time, never copied.
/// </summary>
public static partial class DmgChunks
{
    /// <summary>Chunk type of ADC-compressed data.</summary>
    public const uint Adc = 0x80000004;

    /// <summary>Chunk type of LZFSE-compressed data.</summary>
    public const uint Lzfse = 0x80000007;

    /// <summary>Chunk type of stored (uncompressed) data.</summary>
    public const uint Raw = 0x00000001;

    /// <summary>Path of a file in the shared node-udif folder.</summary>
    public static string Image(string name) => Path.Combine(QemuOracle.SharedImages!, "node-udif", name);

    /// <summary>Every chunk of the image, all partitions, in table order.</summary>
    public static List<DmgChunk> Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        ReadOnlySpan<byte> koly = file.AsSpan(file.Length - 512);
        Assert.AreEqual("koly", Encoding.ASCII.GetString(koly[..4]), $"{path} has no koly trailer");
        long dataFork = (long)BinaryPrimitives.ReadUInt64BigEndian(koly[0x18..]);
        long xmlOffset = (long)BinaryPrimitives.ReadUInt64BigEndian(koly[0xD8..]);
        long xmlLength = (long)BinaryPrimitives.ReadUInt64BigEndian(koly[0xE0..]);
        string xml = Encoding.UTF8.GetString(file, checked((int)xmlOffset), checked((int)xmlLength));
        var chunks = new List<DmgChunk>();
        foreach (Match m in DataElement().Matches(xml))
        {
            byte[] mish = Convert.FromBase64String(Whitespace().Replace(m.Groups[1].Value, ""));
            if (mish.Length < 204 || Encoding.ASCII.GetString(mish, 0, 4) != "mish")
                continue;
            long firstSector = (long)BinaryPrimitives.ReadUInt64BigEndian(mish.AsSpan(8));
            int count = (int)BinaryPrimitives.ReadUInt32BigEndian(mish.AsSpan(200));
            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<byte> e = mish.AsSpan(204 + 40 * i, 40);
                uint type = BinaryPrimitives.ReadUInt32BigEndian(e);
                long sector = (long)BinaryPrimitives.ReadUInt64BigEndian(e[8..]);
                long sectors = (long)BinaryPrimitives.ReadUInt64BigEndian(e[16..]);
                long offset = (long)BinaryPrimitives.ReadUInt64BigEndian(e[24..]);
                long length = (long)BinaryPrimitives.ReadUInt64BigEndian(e[32..]);
                chunks.Add(new DmgChunk(type, firstSector + sector, sectors, file.AsSpan(checked((int)(dataFork + offset)), checked((int)length)).ToArray()));
            }
        }
        return chunks;
    }

    /// <summary>The chunks of <paramref name="image"/> of <paramref name="type"/>, each with the stored bytes of the raw
    /// image's chunk at the same sector (the same disk written uncompressed).</summary>
    public static List<(DmgChunk Chunk, byte[] Expected)> WithRawTwins(string image, uint type)
    {
        var raw = Read(Image("compression-raw.dmg")).Where(c => c.Type == Raw).ToDictionary(c => c.FirstSector, c => c.Data);
        var chunks = Read(Image(image)).Where(c => c.Type == type).ToList();
        Assert.IsNotEmpty(chunks, $"{image} has no chunks of type 0x{type:x8}");
        return chunks.Select(c => (c, raw[c.FirstSector])).ToList();
    }

    [GeneratedRegex("<data>(.*?)</data>", RegexOptions.Singleline)]
    private static partial Regex DataElement();

    [GeneratedRegex("\\s")]
    private static partial Regex Whitespace();
}
