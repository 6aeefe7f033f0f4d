using System.Buffers.Binary;
using System.Text;
using H = ImageBuild.Engine.Tests.Vmdk.Spec.SparseExtentHeader;

namespace ImageBuild.Engine.Tests.Vmdk.Spec;

/// <summary>Byte patches on a VMDK for the hand-broken images: header fields, table entries, markers, descriptor text.</summary>
public static class ImagePatcher
{
    public static void U16(string path, long at, ushort v) => Write(path, at, b => BinaryPrimitives.WriteUInt16LittleEndian(b, v), 2);

    public static void U32(string path, long at, uint v) => Write(path, at, b => BinaryPrimitives.WriteUInt32LittleEndian(b, v), 4);

    public static void U64(string path, long at, ulong v) => Write(path, at, b => BinaryPrimitives.WriteUInt64LittleEndian(b, v), 8);

    public static void Byte(string path, long at, byte v) => Write(path, at, b => b[0] = v, 1);

    public static H Header(string path, long at = 0)
    {
        using var f = new ExtentFile(path);
        return H.Read(f.Read(at, 512));
    }

    public static uint ReadU32(string path, long at)
    {
        using var f = new ExtentFile(path);
        return BinaryPrimitives.ReadUInt32LittleEndian(f.Read(at, 4));
    }

    /// <summary>The byte offset of the GTE for grain <paramref name="grain"/>, through the directory at <paramref name="gdSector"/>.</summary>
    public static long GteOffset(string path, ulong gdSector, int grain)
    {
        uint gt = ReadU32(path, (long)gdSector * 512 + grain / 512 * 4);
        return (long)gt * 512 + grain % 512 * 4;
    }

    /// <summary>The sectors of the first <paramref name="count"/> grain markers of a stream, walking from overHead.</summary>
    public static List<long> GrainMarkers(string path, int count)
    {
        var h = Header(path);
        using var f = new ExtentFile(path);
        var found = new List<long>();
        for (long pos = (long)h.OverHead; pos < f.Sectors && found.Count < count;)
        {
            var m = StreamMarker.Read(f.Read(pos * 512, 512));
            if (m.IsGrain) { found.Add(pos); pos += (StreamMarker.DataOffset + m.Size + 511) / 512; }
            else if (m.IsEndOfStream) break;
            else pos += 1 + (long)m.Value;
        }
        return found;
    }

    /// <summary>The sector of the first metadata marker of <paramref name="type"/> in a stream.</summary>
    public static long FirstMetadataMarker(string path, uint type)
    {
        var h = Header(path);
        using var f = new ExtentFile(path);
        for (long pos = (long)h.OverHead; pos < f.Sectors;)
        {
            var m = StreamMarker.Read(f.Read(pos * 512, 512));
            if (m.IsGrain) pos += (StreamMarker.DataOffset + m.Size + 511) / 512;
            else if (m.Type == type && !m.IsEndOfStream) return pos;
            else if (m.IsEndOfStream) break;
            else pos += 1 + (long)m.Value;
        }
        throw new AssertFailedException($"no metadata marker of type {type} in {path}");
    }

    /// <summary>Rewrites the embedded descriptor's text in place, NUL-padded to descriptorSize.</summary>
    public static void EmbeddedDescriptor(string path, Func<string, string> edit)
    {
        var h = Header(path);
        long at = (long)h.DescriptorOffset * 512;
        int size = (int)h.DescriptorSize * 512;
        byte[] area;
        using (var f = new ExtentFile(path)) area = f.Read(at, size);
        int nul = Array.IndexOf(area, (byte)0);
        string text = edit(Encoding.Latin1.GetString(area, 0, nul < 0 ? area.Length : nul));
        byte[] bytes = Encoding.Latin1.GetBytes(text);
        if (bytes.Length > size) throw new AssertFailedException("edited descriptor does not fit");
        var fresh = new byte[size];
        bytes.CopyTo(fresh, 0);
        Write(path, at, b => fresh.CopyTo(b), size);
    }

    /// <summary>Rewrites a descriptor file's text (up to its first NUL) and drops any padding.</summary>
    public static void DescriptorFile(string path, Func<string, string> edit)
    {
        string text = File.ReadAllText(path, Encoding.Latin1);
        int nul = text.IndexOf('\0');
        File.WriteAllText(path, edit(nul < 0 ? text : text[..nul]), Encoding.Latin1);
    }

    /// <summary>Replaces the value of one "key=value" line of a descriptor.</summary>
    public static string SetLine(string text, string key, string line)
    {
        var lines = text.Split('\n').ToList();
        int i = lines.FindIndex(l => l.StartsWith(key, StringComparison.Ordinal));
        if (i < 0) throw new AssertFailedException($"no line starting {key}");
        lines[i] = line;
        return string.Join('\n', lines);
    }

    private static void Write(string path, long at, Action<byte[]> fill, int length)
    {
        var b = new byte[length];
        fill(b);
        using var s = new FileStream(path, FileMode.Open, FileAccess.Write);
        s.Position = at;
        s.Write(b);
    }
}
