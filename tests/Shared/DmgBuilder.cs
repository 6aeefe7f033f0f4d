using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ImageBuild.Tests.Shared;

/// <summary>
/// Writes UDIF disk images (DMG) for tests and the benchmark: chunks of chosen encodings appended to the data fork as
/// they are added (so a large image is never held in memory), then one block table ("mish") in an XML property list
/// or a resource fork, and the "koly" trailer. Encodings: raw, zero, ignore, zlib, bzip2 and xz/LZMA (through the
/// bzip2 and xz tools), or stored bytes copied from a real image (lzfse, ADC). Entries can be given any sector,
/// offset or length, for hostile variants.
/// </summary>
public sealed class DmgBuilder : IDisposable
{
    public const uint Zero = 0, Raw = 1, Ignore = 2, Adc = 0x80000004, Zlib = 0x80000005, Bzip2 = 0x80000006,
        Lzfse = 0x80000007, Lzma = 0x80000008, Comment = 0x7ffffffe, Last = 0xffffffff;

    /// <summary>One run entry as it will be written (sector and offset relative to the table and data fork).</summary>
    public sealed record Entry(uint Type, ulong Sector, ulong SectorCount, ulong Offset, ulong Length);

    private readonly FileStream _out;
    private ulong _sector;

    public DmgBuilder(string path) => _out = new FileStream(path, FileMode.Create, FileAccess.ReadWrite);

    public List<Entry> Entries { get; } = [];

    /// <summary>The disk size written in the trailer, in sectors; by default the end of the last entry.</summary>
    public long? SectorCount { get; set; }

    /// <summary>Text put into the property list before the block table (e.g. deep nesting, other data elements).</summary>
    public string PlistPrefix { get; set; } = "";

    /// <summary>Text put into the property list after the block table (e.g. an element left open).</summary>
    public string PlistSuffix { get; set; } = "";

    /// <summary>Encodes <paramref name="data"/> (whole sectors) as one chunk of <paramref name="type"/> and appends it.</summary>
    public Entry Add(uint type, ReadOnlySpan<byte> data)
    {
        if (data.Length % 512 != 0) throw new ArgumentException("a chunk holds whole sectors");
        byte[] stored = type switch
        {
            Zero or Ignore => [],
            Raw => data.ToArray(),
            Zlib => ZlibCompress(data),
            Bzip2 => Tool("bzip2", ["-9", "-c"], data),
            Lzma => Tool("xz", ["--format=xz", "--check=crc32", "-6", "-c"], data),
            _ => throw new ArgumentException($"type 0x{type:x8} is added with AddStored"),
        };
        return AddStored(type, (ulong)data.Length / 512, stored);
    }

    /// <summary>Appends a chunk already encoded (e.g. copied from a real image) covering the next sectors.</summary>
    public Entry AddStored(uint type, ulong sectorCount, ReadOnlySpan<byte> stored)
    {
        var entry = new Entry(type, _sector, sectorCount, (ulong)_out.Length, (ulong)stored.Length);
        _out.Seek(0, SeekOrigin.End);
        _out.Write(stored);
        _sector += sectorCount;
        Entries.Add(entry);
        return entry;
    }

    /// <summary>An .lzma-alone encoding of <paramref name="data"/> (xz --format=lzma), for LZMA chunks of that form.</summary>
    public static byte[] LzmaAlone(ReadOnlySpan<byte> data) => Tool("xz", ["--format=lzma", "-6", "-c"], data);

    public static byte[] ZlibCompress(ReadOnlySpan<byte> data)
    {
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true)) z.Write(data);
        return ms.ToArray();
    }

    /// <summary>Runs a compressor (bzip2, xz) over <paramref name="data"/> and returns its output.</summary>
    public static byte[] Tool(string tool, string[] args, ReadOnlySpan<byte> data)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(tool) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException($"{tool} could not be started");
        using var output = new MemoryStream();
        var copy = p.StandardOutput.BaseStream.CopyToAsync(output);
        p.StandardInput.BaseStream.Write(data);
        p.StandardInput.Close();
        copy.Wait();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{tool} exited {p.ExitCode}");
        return output.ToArray();
    }

    /// <summary>
    /// Writes <paramref name="rawPath"/> (whole sectors) as a DMG at <paramref name="path"/> the way hdiutil lays out a
    /// UDZO image: 1 MiB chunks, zero chunks for all-zero runs and zlib for the others, in an XML property list.
    /// </summary>
    public static void WriteFromFile(string path, string rawPath)
    {
        using var builder = new DmgBuilder(path);
        using var source = File.OpenRead(rawPath);
        var chunk = new byte[1 << 20];
        for (int n; (n = source.ReadAtLeast(chunk, chunk.Length, throwOnEndOfStream: false)) > 0;)
        {
            var data = chunk.AsSpan(0, n);
            builder.Add(data.ContainsAnyExcept((byte)0) ? Zlib : Zero, data);
        }
        builder.Finish();
    }

    /// <summary>Writes the block table (as a property list, or as a resource fork) and the trailer, and closes the file.</summary>
    public void Finish(bool resourceFork = false)
    {
        byte[] mish = Mish();
        long dataForkLength = _out.Length;
        _out.Seek(0, SeekOrigin.End);
        long forkOffset = _out.Length;
        byte[] fork = resourceFork ? ResourceFork(mish) : Encoding.ASCII.GetBytes(Plist(mish));
        _out.Write(fork);
        var koly = new byte[512];
        var k = koly.AsSpan();
        "koly"u8.CopyTo(k);
        BinaryPrimitives.WriteUInt32BigEndian(k[4..], 4);          // version
        BinaryPrimitives.WriteUInt32BigEndian(k[8..], 512);        // header size
        BinaryPrimitives.WriteUInt32BigEndian(k[12..], 1);         // flags: flattened
        BinaryPrimitives.WriteUInt64BigEndian(k[0x18..], 0);       // data fork offset
        BinaryPrimitives.WriteUInt64BigEndian(k[0x20..], (ulong)dataForkLength);
        if (resourceFork)
        {
            BinaryPrimitives.WriteUInt64BigEndian(k[0x28..], (ulong)forkOffset);
            BinaryPrimitives.WriteUInt64BigEndian(k[0x30..], (ulong)fork.Length);
        }
        else
        {
            BinaryPrimitives.WriteUInt64BigEndian(k[0xd8..], (ulong)forkOffset);
            BinaryPrimitives.WriteUInt64BigEndian(k[0xe0..], (ulong)fork.Length);
        }
        BinaryPrimitives.WriteUInt32BigEndian(k[0x38..], 1);       // segment number
        BinaryPrimitives.WriteUInt32BigEndian(k[0x3c..], 1);       // segment count
        BinaryPrimitives.WriteUInt32BigEndian(k[0x1e8..], 1);      // image variant: device
        BinaryPrimitives.WriteInt64BigEndian(k[0x1ec..], SectorCount ?? (long)_sector);
        _out.Write(koly);
        _out.Dispose();
    }

    /// <summary>The BLKXTable: a 204-byte header, the entries, and a terminating entry.</summary>
    private byte[] Mish()
    {
        var m = new byte[204 + (Entries.Count + 1) * 40];
        var s = m.AsSpan();
        "mish"u8.CopyTo(s);
        BinaryPrimitives.WriteUInt32BigEndian(s[4..], 1);
        BinaryPrimitives.WriteUInt64BigEndian(s[0x10..], _sector);
        BinaryPrimitives.WriteUInt32BigEndian(s[0xc8..], (uint)Entries.Count + 1);
        for (int i = 0; i <= Entries.Count; i++)
        {
            var e = s.Slice(204 + i * 40, 40);
            var entry = i < Entries.Count ? Entries[i] : new Entry(Last, _sector, 0, (ulong)_out.Length, 0);
            BinaryPrimitives.WriteUInt32BigEndian(e, entry.Type);
            BinaryPrimitives.WriteUInt64BigEndian(e[0x08..], entry.Sector);
            BinaryPrimitives.WriteUInt64BigEndian(e[0x10..], entry.SectorCount);
            BinaryPrimitives.WriteUInt64BigEndian(e[0x18..], entry.Offset);
            BinaryPrimitives.WriteUInt64BigEndian(e[0x20..], entry.Length);
        }
        return m;
    }

    private string Plist(byte[] mish) =>
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
        "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n" +
        "<plist version=\"1.0\">\n<dict>\n\t<key>resource-fork</key>\n\t<dict>\n" + PlistPrefix +
        "\t\t<key>blkx</key>\n\t\t<array>\n\t\t\t<dict>\n\t\t\t\t<key>Attributes</key>\n\t\t\t\t<string>0x0050</string>\n" +
        "\t\t\t\t<key>Data</key>\n\t\t\t\t<data>\n" + Convert.ToBase64String(mish, Base64FormattingOptions.InsertLineBreaks) +
        "\n\t\t\t\t</data>\n\t\t\t\t<key>ID</key>\n\t\t\t\t<string>0</string>\n\t\t\t\t<key>Name</key>\n" +
        "\t\t\t\t<string>whole disk (Apple_HFS : 0)</string>\n\t\t\t</dict>\n\t\t</array>\n" + PlistSuffix + "\t</dict>\n</dict>\n</plist>\n";

    /// <summary>A resource fork: a 256-byte header (data offset, map offset, data length, map length), the data (one
    /// resource: a 4-byte length and the table), and an empty map.</summary>
    private static byte[] ResourceFork(byte[] mish)
    {
        const int DataOffset = 256;
        int dataLength = 4 + mish.Length;
        var fork = new byte[DataOffset + dataLength + 32];
        var f = fork.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(f, DataOffset);
        BinaryPrimitives.WriteUInt32BigEndian(f[4..], (uint)(DataOffset + dataLength));
        BinaryPrimitives.WriteUInt32BigEndian(f[8..], (uint)dataLength);
        BinaryPrimitives.WriteUInt32BigEndian(f[12..], 32);
        BinaryPrimitives.WriteUInt32BigEndian(f[DataOffset..], (uint)mish.Length);
        mish.CopyTo(f[(DataOffset + 4)..]);
        return fork;
    }

    /// <summary>
    /// The chunks of a DMG with its trailer at the end and its tables in the property list (as macOS writes them), with
    /// absolute sectors and offsets and each chunk's stored bytes; comments and terminators left out. For tests that
    /// copy or re-encode a real image's chunks.
    /// </summary>
    public static (long SectorCount, List<(Entry Entry, byte[] Stored)> Chunks) ReadChunks(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        var koly = file.AsSpan(file.Length - 512);
        ulong dataFork = BinaryPrimitives.ReadUInt64BigEndian(koly[0x18..]);
        int xmlOffset = (int)BinaryPrimitives.ReadUInt64BigEndian(koly[0xd8..]);
        int xmlLength = (int)BinaryPrimitives.ReadUInt64BigEndian(koly[0xe0..]);
        string xml = Encoding.ASCII.GetString(file, xmlOffset, xmlLength);
        var chunks = new List<(Entry, byte[])>();
        for (int at = xml.IndexOf("<data>", StringComparison.Ordinal); at >= 0; at = xml.IndexOf("<data>", at + 1, StringComparison.Ordinal))
        {
            int end = xml.IndexOf("</data>", at, StringComparison.Ordinal);
            string b64 = string.Concat(xml[(at + 6)..end].Where(c => !char.IsWhiteSpace(c)));
            byte[] blob = Convert.FromBase64String(b64);
            if (blob.Length < 204 || !blob.AsSpan(0, 4).SequenceEqual("mish"u8)) continue;
            ulong first = BinaryPrimitives.ReadUInt64BigEndian(blob.AsSpan(8));
            ulong dataOffset = BinaryPrimitives.ReadUInt64BigEndian(blob.AsSpan(0x18));
            for (int e = 204; e + 40 <= blob.Length; e += 40)
            {
                var r = blob.AsSpan(e, 40);
                uint type = BinaryPrimitives.ReadUInt32BigEndian(r);
                if (type is Comment or Last) continue;
                var entry = new Entry(type, BinaryPrimitives.ReadUInt64BigEndian(r[8..]) + first, BinaryPrimitives.ReadUInt64BigEndian(r[0x10..]),
                    BinaryPrimitives.ReadUInt64BigEndian(r[0x18..]) + dataOffset + dataFork, BinaryPrimitives.ReadUInt64BigEndian(r[0x20..]));
                chunks.Add((entry, file.AsSpan((int)entry.Offset, (int)entry.Length).ToArray()));
            }
        }
        return (BinaryPrimitives.ReadInt64BigEndian(koly[0x1ec..]), chunks);
    }

    public void Dispose() => _out.Dispose();
}
