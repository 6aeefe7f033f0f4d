using System.Buffers.Binary;

namespace ImageBuild.Tests.Shared;

/// <summary>
/// Writes a Bochs growing redolog (the layout bximage creates and Bochs fills) holding given raw content, since
/// bximage only makes empty images and qemu-img cannot create the format. qemu-img reading the result back as the
/// raw content is what checks this builder (and then our reader against qemu).
/// Layout: 512-byte header, catalog of u32 slots (one per extent, 0xFFFFFFFF = none), then for each allocated
/// extent in guest order its bitmap (rounded up to a sector) and its data. Only extents with a non-zero sector get a
/// slot; inside a slot only non-zero sectors get their bitmap bit, and the sectors without one are filled with
/// <see cref="Garbage"/>, so a reader that ignores the bitmap reads wrong data.
/// </summary>
public static class BochsBuilder
{
    /// <summary>The byte that fills the data of sectors whose bitmap bit is clear.</summary>
    public const byte Garbage = 0xEE;

    /// <summary>A layout: header version 1 or 2 and the extent size (a power of two, 512 B to 8 MiB).</summary>
    public sealed record Layout(int Version = 2, int ExtentSize = 16384);

    /// <summary>Writes <paramref name="raw"/> (its length a multiple of 512) as a Bochs image at <paramref name="path"/>.</summary>
    public static void Write(string path, byte[] raw, Layout? layout = null)
    {
        using var source = new MemoryStream(raw, writable: false);
        Write(path, source, raw.Length, layout);
    }

    /// <summary>Converts the raw file at <paramref name="rawPath"/> into a Bochs image, one extent in memory at a time.</summary>
    public static void WriteFromFile(string path, string rawPath, Layout? layout = null)
    {
        using var source = File.OpenRead(rawPath);
        Write(path, source, source.Length, layout);
    }

    private static void Write(string path, Stream source, long diskSize, Layout? layout)
    {
        layout ??= new Layout();
        int extent = layout.ExtentSize, sectorsPerExtent = extent / 512;
        int bitmapSize = Math.Max(1, sectorsPerExtent / 8);
        int bitmapBlock = (bitmapSize + 511) / 512 * 512;
        long catalogEntries = Math.Max(1, (diskSize + extent - 1) / extent);
        var header = new byte[512];
        "Bochs Virtual HD Image"u8.CopyTo(header);
        "Redolog"u8.CopyTo(header.AsSpan(32));
        "Growing"u8.CopyTo(header.AsSpan(48));
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(64), layout.Version == 1 ? 0x00010000u : 0x00020000u);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(68), 512);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(72), (uint)catalogEntries);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(76), (uint)bitmapSize);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(80), (uint)extent);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(layout.Version == 1 ? 84 : 88), (ulong)diskSize);

        var catalog = new byte[catalogEntries * 4];
        catalog.AsSpan().Fill(0xFF);
        long dataOffset = 512 + catalog.Length;
        using var output = new FileStream(path, FileMode.Create, FileAccess.Write);
        output.Write(header);
        output.Write(catalog);
        var data = new byte[extent];
        var bitmap = new byte[bitmapBlock];
        uint slot = 0;
        for (long e = 0; e < catalogEntries; e++)
        {
            int n = source.ReadAtLeast(data, extent, throwOnEndOfStream: false);
            data.AsSpan(n).Clear();
            bitmap.AsSpan().Clear();
            bool any = false;
            for (int s = 0; s < sectorsPerExtent; s++)
            {
                var sector = data.AsSpan(s * 512, 512);
                if (!sector.ContainsAnyExcept((byte)0))
                {
                    sector.Fill(Garbage);
                    continue;
                }
                bitmap[s / 8] |= (byte)(1 << (s % 8));
                any = true;
            }
            if (!any) continue;
            BinaryPrimitives.WriteUInt32LittleEndian(catalog.AsSpan((int)(e * 4)), slot);
            output.Position = dataOffset + (long)slot * (bitmapBlock + extent);
            output.Write(bitmap);
            output.Write(data);
            slot++;
        }
        output.Position = 512;
        output.Write(catalog);
    }
}
