using System.Text.Json.Nodes;

namespace ImageBuild.Cli.Tests.Oracle;

/// <summary>Assertions comparing a run of the tool under test with the same run of qemu-img.</summary>
public static class OracleAssert
{
    /// <summary>The tool must not crash: no .NET stack trace or exception name on stderr or stdout.</summary>
    public static void NoCrash(TimedResult actual)
    {
        foreach (var text in new[] { actual.StdErr, actual.StdOut })
        {
            Assert.IsFalse(text.Contains("   at ", StringComparison.Ordinal), $"stack trace printed\n{actual}");
            Assert.IsFalse(text.Contains("Exception", StringComparison.Ordinal), $"exception printed\n{actual}");
        }
    }

    /// <summary>Same exit code, same stdout and same stderr (program name normalised) as qemu-img.</summary>
    public static void SameOutcome(TimedResult expected, TimedResult actual)
    {
        NoCrash(actual);
        string ctx = $"\nexpected (qemu-img): {expected}\nactual: {actual}";
        Assert.AreEqual(expected.ExitCode, actual.ExitCode, "exit code" + ctx);
        Assert.AreEqual(expected.NormalizedStdOut, actual.NormalizedStdOut, "stdout" + ctx);
        Assert.AreEqual(expected.NormalizedStdErr, actual.NormalizedStdErr, "stderr" + ctx);
    }

    /// <summary>Exit code and stderr equal; stdout ignored (used when stdout is checked in another way).</summary>
    public static void SameExitAndErrors(TimedResult expected, TimedResult actual)
    {
        NoCrash(actual);
        string ctx = $"\nexpected (qemu-img): {expected}\nactual: {actual}";
        Assert.AreEqual(expected.ExitCode, actual.ExitCode, "exit code" + ctx);
        Assert.AreEqual(expected.NormalizedStdErr, actual.NormalizedStdErr, "stderr" + ctx);
    }

    /// <summary>Both outputs are JSON and equal as data, after dropping <paramref name="ignoredKeys"/> at any depth.</summary>
    public static void JsonDataEqual(string expectedJson, string actualJson, string what, params string[] ignoredKeys)
    {
        JsonNode? e, a;
        e = JsonNode.Parse(expectedJson);
        try { a = JsonNode.Parse(actualJson); }
        catch (System.Text.Json.JsonException ex) { throw new AssertFailedException($"{what}: output is not JSON ({ex.Message}):\n{actualJson}"); }
        Strip(e, ignoredKeys);
        Strip(a, ignoredKeys);
        Assert.IsTrue(JsonNode.DeepEquals(e, a),
            $"{what}: JSON data differs\nexpected (qemu-img):\n{e?.ToJsonString()}\nactual:\n{a?.ToJsonString()}");
    }

    private static void Strip(JsonNode? node, string[] keys)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var k in keys) o.Remove(k);
                foreach (var kv in o) Strip(kv.Value, keys);
                break;
            case JsonArray arr:
                foreach (var item in arr) Strip(item, keys);
                break;
        }
    }
}

/// <summary>One entry of `qemu-img map --output=json`.</summary>
public sealed record MapExtent(long Start, long Length, int Depth, bool Present, bool Zero, bool Data, long? Offset)
{
    public long End => Start + Length;

    public static IReadOnlyList<MapExtent> Parse(string json)
    {
        var list = new List<MapExtent>();
        foreach (var n in JsonNode.Parse(json)!.AsArray())
        {
            var o = n!.AsObject();
            list.Add(new MapExtent(
                o["start"]!.GetValue<long>(), o["length"]!.GetValue<long>(), o["depth"]!.GetValue<int>(),
                o["present"]?.GetValue<bool>() ?? true, o["zero"]!.GetValue<bool>(), o["data"]!.GetValue<bool>(),
                o["offset"]?.GetValue<long>()));
        }
        return list;
    }

    /// <summary>Ranges [start, end) whose extents report data=true, merged.</summary>
    public static List<(long Start, long End)> DataRanges(IEnumerable<MapExtent> map)
    {
        var r = new List<(long, long)>();
        foreach (var e in map.Where(e => e.Data).OrderBy(e => e.Start))
        {
            if (r.Count > 0 && r[^1].Item2 >= e.Start) r[^1] = (r[^1].Item1, Math.Max(r[^1].Item2, e.End));
            else r.Add((e.Start, e.End));
        }
        return r;
    }

    /// <summary>Parts of <paramref name="ranges"/> not covered by the union of <paramref name="allowed"/>.</summary>
    public static List<(long Start, long End)> Uncovered(List<(long Start, long End)> ranges, IEnumerable<(long Start, long End)> allowed)
    {
        var cover = allowed.OrderBy(a => a.Start).ToList();
        var result = new List<(long, long)>();
        foreach (var (s0, e) in ranges)
        {
            long s = s0;
            foreach (var (cs, ce) in cover)
            {
                if (ce <= s) continue;
                if (cs >= e) break;
                if (cs > s) result.Add((s, cs));
                s = Math.Max(s, ce);
                if (s >= e) break;
            }
            if (s < e) result.Add((s, e));
        }
        return result;
    }
}
