using System.Buffers.Binary;

namespace ImageBuild.Cli.FormatTests.Vhdx;

/// <summary>VHDX files compared with qemu-img's once the fields qemu fills randomly are masked.</summary>
internal static class VhdxOracleImages
{
    public const int MiB = 1 << 20;

    /// <summary>
    /// The bytes of <paramref name="path"/> with qemu's random fields zeroed: in both headers the checksum, the
    /// sequence number (its start is g_random_int) and the file, data and log GUIDs; the page 83 GUID (found through
    /// the region table and the metadata table); and in every log entry its checksum and log GUID (qemu makes a new log
    /// GUID per entry). Everything else — the layout, the BAT, the log's sequence numbers and descriptors, the data —
    /// must be equal.
    /// </summary>
    public static byte[] Masked(string path)
    {
        byte[] b = File.ReadAllBytes(path);
        foreach (int h in new[] { 0x10000, 0x20000 })
            Array.Clear(b, h + 4, 60);
        int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(0x30008));
        for (int i = 0; i < count; i++)
        {
            var e = b.AsSpan(0x30010 + 32 * i, 32);
            if (new Guid(e[..16]) != new Guid("8B7CA206-4790-4B9A-B8FE-575F050F886E"))
                continue;
            long md = (long)BinaryPrimitives.ReadUInt64LittleEndian(e[16..]);
            int entries = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan((int)md + 10));
            for (int j = 0; j < entries; j++)
            {
                var m = b.AsSpan((int)md + 32 + 32 * j, 32);
                if (new Guid(m[..16]) == new Guid("BECA12AB-B2E6-4523-93EF-C309E000C746"))
                    Array.Clear(b, (int)(md + BinaryPrimitives.ReadUInt32LittleEndian(m[16..])), 16);
            }
        }
        long logOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(0x10048));
        long logLength = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(0x10044));
        for (long p = logOffset; p < logOffset + logLength && p + 48 <= b.Length; p += 4096)
        {
            if (!b.AsSpan((int)p, 4).SequenceEqual("loge"u8))
                continue;
            Array.Clear(b, (int)p + 4, 4);
            Array.Clear(b, (int)p + 32, 16);
        }
        return b;
    }

    public static void AssertSameButRandom(string expectedPath, string actualPath, string what)
    {
        byte[] e = Masked(expectedPath), a = Masked(actualPath);
        Assert.AreEqual(e.Length, a.Length, $"{what}: file length");
        for (int i = 0; i < e.Length; i++)
            if (e[i] != a[i])
                Assert.Fail($"{what}: first difference at offset 0x{i:x} (qemu-img 0x{e[i]:x2}, ours 0x{a[i]:x2})");
    }
}
