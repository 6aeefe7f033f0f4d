using System.Globalization;
using System.Text;
using ImageBuild.Engine.Info;
using ImageBuild.Engine.Operations;

namespace ImageBuild.Cli.Output;

/// <summary>qemu-img info's outputs: the human layout (bdrv_image_info_dump) and the QAPI JSON.</summary>
public static class InfoPresenter
{
    public static string Human(ImageInfo info)
    {
        var sb = new StringBuilder();
        sb.Append("image: ").Append(info.Filename).Append('\n');
        sb.Append("file format: ").Append(info.Format).Append('\n');
        sb.Append("virtual size: ").Append(SizeFormatter.Format(info.VirtualSize))
          .Append(" (").Append(info.VirtualSize.ToString(CultureInfo.InvariantCulture)).Append(" bytes)\n");
        sb.Append("disk size: ").Append(info.ActualSize is { } a ? SizeFormatter.Format(a) : "unavailable").Append('\n');
        if (info.Encrypted == true)
            sb.Append("encrypted: yes\n");
        if (info.ClusterSize is { } cs)
            sb.Append("cluster_size: ").Append(cs.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (info.DirtyFlag == true)
            sb.Append("cleanly shut down: no\n");
        if (info.BackingFilename is { } backing)
        {
            sb.Append("backing file: ").Append(backing);
            if (info.FullBackingFilename is null)
                sb.Append(" (cannot determine actual path)");
            else if (info.FullBackingFilename != backing)
                sb.Append(" (actual path: ").Append(info.FullBackingFilename).Append(')');
            sb.Append('\n');
            if (info.BackingFilenameFormat is { } bf)
                sb.Append("backing file format: ").Append(bf).Append('\n');
        }
        if (info.Snapshots is { } snaps)
            sb.Append(SnapshotTable.List(snaps));
        if (info.FormatSpecific is { } spec)
        {
            sb.Append("Format specific information:\n");
            sb.Append(QObjectHumanDumper.Dump(spec.Data, 1));
        }
        return sb.ToString();
    }

    /// <summary>Several images (--backing-chain): blocks separated by one blank line.</summary>
    public static string Human(IReadOnlyList<ImageInfo> list) => string.Join("\n", list.Select(Human));

    public static string Json(ImageInfo info) => QDictJsonWriter.Serialize(info.ToQapi()) + "\n";

    public static string Json(IReadOnlyList<ImageInfo> list) =>
        QDictJsonWriter.Serialize(list.Select(i => (object)i.ToQapi()).ToList()) + "\n";
}

/// <summary>qemu's bdrv_snapshot_dump: the snapshot table of info and snapshot -l.</summary>
public static class SnapshotTable
{
    /// <summary>"Snapshot list:", the header and one row per snapshot, each line ended (info and snapshot -l); empty when there are none.</summary>
    public static string List(IReadOnlyList<SnapshotInfo> snapshots)
    {
        if (snapshots.Count == 0) return "";
        var sb = new StringBuilder("Snapshot list:\n");
        sb.Append(Header()).Append('\n');
        foreach (var s in snapshots)
            sb.Append(Row(s)).Append('\n');
        return sb.ToString();
    }

    public static string Header() =>
        $"{"ID",-10}{"TAG",-17}{"VM SIZE",8}{"DATE",20}{"VM CLOCK",13}{"ICOUNT",11}";

    public static string Row(SnapshotInfo s)
    {
        string date = DateTimeOffset.FromUnixTimeSeconds(s.DateSec).ToLocalTime()
            .ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        ulong secs = s.VmClockNsec / 1_000_000_000; // unsigned, as qemu divides it
        string clock = string.Create(CultureInfo.InvariantCulture,
            $"{(int)(secs / 3600):00}:{(int)(secs / 60 % 60):00}:{(int)(secs % 60):00}.{(int)(s.VmClockNsec / 1_000_000 % 1000):000}");
        string icount = s.Icount == -1 ? "" : s.Icount.ToString(CultureInfo.InvariantCulture);
        return $"{PadBytes(s.Id, 9)} {PadBytes(s.Name, 16)} {SizeFormatter.Format(s.VmStateSize),8}{date,20}{clock,13}{icount,11}";
    }

    /// <summary>printf's %-Ns: the field width counts bytes (UTF-8), not characters.</summary>
    private static string PadBytes(string text, int width)
    {
        int bytes = Encoding.UTF8.GetByteCount(text);
        return bytes >= width ? text : text + new string(' ', width - bytes);
    }
}
