namespace ImageBuild.Engine.Info;

/// <summary>
/// A QAPI-style object: members in schema (insertion) order. Values are string, long, ulong, bool,
/// QapiObject or IReadOnlyList&lt;object&gt; of those. Presenters decide the printed order
/// (qemu prints QDicts in hash order).
/// </summary>
public sealed class QapiObject : List<KeyValuePair<string, object>>
{
    public QapiObject Add(string key, object value)
    {
        Add(new KeyValuePair<string, object>(key, value));
        return this;
    }

    public object? this[string key] => Find(p => p.Key == key).Value;
}

/// <summary>ImageInfoSpecific: a union tagged by the driver name ("qcow2", "vmdk", ...).</summary>
public sealed record FormatSpecificInfo(string Type, QapiObject Data);

/// <summary>One internal snapshot (qemu's SnapshotInfo).</summary>
public sealed record SnapshotInfo(
    string Id, string Name, long VmStateSize, long DateSec, long DateNsec, ulong VmClockNsec, long Icount);
