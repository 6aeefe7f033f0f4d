using System.Text.Json;
using ImageBuild.Engine.Formats.Vmdk;
using ImageBuild.Engine.Host;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Vmdk;

/// <summary>
/// What a grain map says an image holds, for comparison with qemu-img until the VMDK driver reads through it: the
/// raw contents (Data runs read from the extent file, the rest zeros; no backing file) and the allocation map in
/// qemu-img map's JSON terms, merged as qemu-img merges its entries.
/// </summary>
internal static class GrainMapAssembler
{
    public sealed record MapEntry(long Start, long Length, bool Present, bool Zero, bool Data, long? Offset);

    public static List<GrainRun> Runs(IGrainMap map, long capacity, long step = long.MaxValue)
    {
        var runs = new List<GrainRun>();
        for (long at = 0; at < capacity;)
        {
            var run = map.Lookup(at, Math.Min(step, capacity - at));
            Assert.IsTrue(run.Length > 0 && run.Length <= capacity - at, $"run at {at} is {run.Length} bytes long");
            runs.Add(run);
            at += run.Length;
        }
        return runs;
    }

    public static void WriteRaw(IGrainMap map, HostFile file, long capacity, string rawPath)
    {
        using var output = new FileStream(rawPath, FileMode.Create, FileAccess.Write);
        output.SetLength(capacity);
        long at = 0;
        foreach (var run in Runs(map, capacity, 1 << 20))
        {
            if (run.State == GrainState.Data)
            {
                var buffer = new byte[run.Length];
                file.Read(run.HostOffset, buffer);
                output.Position = at;
                output.Write(buffer);
            }
            else
            {
                Assert.AreNotEqual(GrainState.Compressed, run.State);
            }
            at += run.Length;
        }
    }

    public static List<MapEntry> Map(IGrainMap map, long capacity)
    {
        var entries = new List<MapEntry>();
        long at = 0;
        foreach (var run in Runs(map, capacity))
        {
            var e = run.State switch
            {
                GrainState.Unallocated => new MapEntry(at, run.Length, false, true, false, null),
                GrainState.Zero => new MapEntry(at, run.Length, true, true, false, null),
                _ => new MapEntry(at, run.Length, true, false, true, run.HostOffset),
            };
            Append(entries, e);
            at += run.Length;
        }
        return entries;
    }

    /// <summary>qemu-img map --output=json of <paramref name="image"/>, merged the same way.</summary>
    public static List<MapEntry> QemuMap(string image)
    {
        var entries = new List<MapEntry>();
        using var doc = JsonDocument.Parse(QemuOracle.ImgOk("map", "--output=json", image));
        foreach (var el in doc.RootElement.EnumerateArray())
        {
            Append(entries, new MapEntry(el.GetProperty("start").GetInt64(), el.GetProperty("length").GetInt64(),
                el.GetProperty("present").GetBoolean(), el.GetProperty("zero").GetBoolean(), el.GetProperty("data").GetBoolean(),
                el.TryGetProperty("offset", out var o) ? o.GetInt64() : null));
        }
        return entries;
    }

    private static void Append(List<MapEntry> entries, MapEntry e)
    {
        if (entries.Count > 0)
        {
            var last = entries[^1];
            if (last.Present == e.Present && last.Zero == e.Zero && last.Data == e.Data &&
                (last.Offset is null) == (e.Offset is null) && (last.Offset is null || last.Offset + last.Length == e.Offset))
            {
                entries[^1] = last with { Length = last.Length + e.Length };
                return;
            }
        }
        entries.Add(e);
    }

    /// <summary>Converts <paramref name="image"/> with qemu-img and says whether its raw output equals <paramref name="ours"/>.</summary>
    public static void AssertSameAsQemu(string image, string ours, string scratch)
    {
        string theirs = scratch + ".qemu.raw";
        QemuOracle.ImgOk("convert", "-O", "raw", image, theirs);
        Assert.AreEqual(new FileInfo(theirs).Length, new FileInfo(ours).Length, "sizes");
        Assert.AreEqual(QemuOracle.Md5OfFile(theirs), QemuOracle.Md5OfFile(ours), "contents");
    }
}
