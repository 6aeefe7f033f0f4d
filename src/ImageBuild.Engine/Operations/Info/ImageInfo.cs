using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Operations;

/// <summary>
/// Everything qemu-img info reports about one image (qemu's ImageInfo). Optional members are null when
/// qemu leaves them out of its output.
/// </summary>
public sealed record ImageInfo
{
    public required string Filename { get; init; }
    public required string Format { get; init; }

    /// <summary>Dirty flag; null when the driver reports no driver info.</summary>
    public bool? DirtyFlag { get; init; }

    /// <summary>Host disk usage; null when unavailable.</summary>
    public long? ActualSize { get; init; }

    public long VirtualSize { get; init; }

    /// <summary>Only when the driver reports a non-zero cluster size.</summary>
    public long? ClusterSize { get; init; }

    /// <summary>Only present (true) for encrypted images.</summary>
    public bool? Encrypted { get; init; }

    public string? BackingFilename { get; init; }
    public string? FullBackingFilename { get; init; }
    public string? BackingFilenameFormat { get; init; }

    /// <summary>Internal snapshots; null when there are none.</summary>
    public IReadOnlyList<SnapshotInfo>? Snapshots { get; init; }

    public FormatSpecificInfo? FormatSpecific { get; init; }

    /// <summary>The QAPI object, members in schema (insertion) order, optional members only when present.</summary>
    public QapiObject ToQapi()
    {
        var o = new QapiObject();
        o.Add("filename", Filename);
        o.Add("format", Format);
        if (DirtyFlag is { } dirty) o.Add("dirty-flag", dirty);
        if (ActualSize is { } actual) o.Add("actual-size", actual);
        o.Add("virtual-size", VirtualSize);
        if (ClusterSize is { } cluster) o.Add("cluster-size", cluster);
        if (Encrypted is { } enc) o.Add("encrypted", enc);
        if (BackingFilename is not null) o.Add("backing-filename", BackingFilename);
        if (FullBackingFilename is not null) o.Add("full-backing-filename", FullBackingFilename);
        if (BackingFilenameFormat is not null) o.Add("backing-filename-format", BackingFilenameFormat);
        if (Snapshots is not null)
            o.Add("snapshots", Snapshots.Select(s => (object)SnapshotToQapi(s)).ToList());
        if (FormatSpecific is not null)
            o.Add("format-specific", new QapiObject().Add("type", FormatSpecific.Type).Add("data", FormatSpecific.Data));
        return o;
    }

    /// <summary>qemu's SnapshotInfo: icount only when known (not -1).</summary>
    public static QapiObject SnapshotToQapi(SnapshotInfo s)
    {
        var o = new QapiObject();
        o.Add("id", s.Id);
        o.Add("name", s.Name);
        o.Add("vm-state-size", s.VmStateSize);
        o.Add("date-sec", s.DateSec);
        o.Add("date-nsec", s.DateNsec);
        o.Add("vm-clock-sec", (long)(s.VmClockNsec / 1_000_000_000));
        o.Add("vm-clock-nsec", (long)(s.VmClockNsec % 1_000_000_000));
        if (s.Icount != -1) o.Add("icount", s.Icount);
        return o;
    }
}
