using System.Security.Cryptography;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Qcow2;

internal static class Qcow2TestSupport
{
    public static ImageContext Ctx() => ImageContext.CreateDefault();

    public static void CreateOurs(string path, long size, string options)
    {
        var opts = new List<KeyValuePair<string, string>>();
        foreach (var part in options.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            opts.Add(new(part[..eq], part[(eq + 1)..]));
        }
        ImageCreator.Create(Ctx(), new CreateImageRequest { Filename = path, Format = "qcow2", Size = size, Options = opts, BackingUnsafe = true }, null);
    }

    public static void CreateQemu(string path, long size, string options)
    {
        var args = new List<string> { "create", "-q", "-u", "-f", "qcow2" };
        if (options.Length > 0) { args.Add("-o"); args.Add(options); }
        args.Add(path);
        args.Add(size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        QemuOracle.ImgOk([.. args]);
    }

    /// <summary>MD5 of everything the device reads, streamed in 1 MiB chunks.</summary>
    public static string Md5OfDevice(BlockDevice dev)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buf = new byte[1 << 20];
        for (long o = 0; o < dev.VirtualSize; o += buf.Length)
        {
            int n = (int)Math.Min(buf.Length, dev.VirtualSize - o);
            dev.Read(o, buf.AsSpan(0, n));
            md5.AppendData(buf, 0, n);
        }
        return Convert.ToHexStringLower(md5.GetHashAndReset());
    }

    public static string QemuRawMd5(TempDir tmp, string image)
    {
        string raw = tmp["oracle.raw"];
        QemuOracle.ImgOk("convert", "-O", "raw", image, raw);
        string md5 = QemuOracle.Md5OfFile(raw);
        File.Delete(raw);
        return md5;
    }

    public static BlockDevice Open(string path, bool writable = false) =>
        ImageOpener.Open(Ctx(), path, new OpenOptions { Format = "qcow2", Writable = writable });

    /// <summary>Our map, coalesced like qemu-img map --output=json, as comparable strings.</summary>
    public static List<string> OurMap(BlockDevice dev)
    {
        var list = new List<string>();
        (long start, long len, int depth, bool present, bool zero, bool data, long? off)? cur = null;
        long pos = 0;
        while (pos < dev.VirtualSize)
        {
            var st = BlockLayer.GetStatusAbove(dev, null, pos, dev.VirtualSize - pos);
            long? off = st.HasOffset ? st.HostOffset : null;
            var e = (pos, st.Length, st.Depth, st.IsAllocated, st.IsZero, st.IsData, off);
            if (cur is { } c && c.depth == e.Depth && c.present == e.IsAllocated && c.zero == e.IsZero && c.data == e.IsData &&
                (c.off is null) == (off is null) && (off is null || c.off + c.len == off))
                cur = c with { len = c.len + st.Length };
            else
            {
                if (cur is { } p) list.Add(Fmt(p));
                cur = (pos, st.Length, st.Depth, st.IsAllocated, st.IsZero, st.IsData, off);
            }
            pos += st.Length;
        }
        if (cur is { } last) list.Add(Fmt(last));
        return list;
    }

    private static string Fmt((long start, long len, int depth, bool present, bool zero, bool data, long? off) e) =>
        $"{e.start} {e.len} {e.depth} {e.present} {e.zero} {e.data} {e.off?.ToString() ?? "-"}";

    public static List<string> QemuMap(string image)
    {
        string json = QemuOracle.ImgOk("map", "--output=json", image);
        var list = new List<string>();
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            string off = e.TryGetProperty("offset", out var o) ? o.GetInt64().ToString() : "-";
            list.Add($"{e.GetProperty("start").GetInt64()} {e.GetProperty("length").GetInt64()} {e.GetProperty("depth").GetInt32()} " +
                $"{e.GetProperty("present").GetBoolean()} {e.GetProperty("zero").GetBoolean()} {e.GetProperty("data").GetBoolean()} {off}");
        }
        return list;
    }
}
