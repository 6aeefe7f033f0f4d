using ImageBuild.Engine.Info;
using ImageBuild.Engine.Operations;

namespace ImageBuild.Engine.Formats.Vmdk;

public sealed partial class VmdkDevice
{
    /// <summary>
    /// qemu's vmdk_get_info: the first extent's grain size when every extent is of the same kind (flat or not, compressed
    /// or not, same grain size); none for flat extents or mixed kinds.
    /// </summary>
    public override int ClusterSize
    {
        get
        {
            if (_extents.Length == 0) return 0;
            var first = _extents[0];
            foreach (var e in _extents.AsSpan(1))
            {
                bool flat = e is FlatExtent;
                if (flat != first is FlatExtent || e.IsCompressed != first.IsCompressed || (!flat && e.GrainSize != first.GrainSize))
                    return 0;
            }
            return first is FlatExtent ? 0 : first.GrainSize;
        }
    }

    /// <summary>The primary file, then every extent file once (the descriptor names them; they are one image).</summary>
    public override IReadOnlyList<string> HostFileNames
    {
        get
        {
            var names = new List<string> { _file.Path };
            foreach (var f in _kept.Concat(_extents.Select(e => e.File)))
                if (f is not null && !names.Contains(f.Path, StringComparer.Ordinal))
                    names.Add(f.Path);
            return names;
        }
    }

    /// <summary>qemu's vmdk_co_get_allocated_file_size: the primary file plus each extent file that is not the primary one.</summary>
    public override long? ActualSize
    {
        get
        {
            long total = _file.AllocatedBytes;
            if (total < 0) return null;
            foreach (var e in _extents)
            {
                if (e.File is null || ReferenceEquals(e.File, _file)) continue;
                long n = e.File.AllocatedBytes;
                if (n < 0) return null;
                total += n;
            }
            return total;
        }
    }

    /// <summary>qemu's vmdk_has_zero_init: false only when a flat extent's storage does not read as zeros (never for a regular file).</summary>
    public override bool HasZeroInit => true;

    /// <summary>
    /// qemu's vmdk_get_specific_info: cid, parent-cid, create-type and one ImageInfo per extent (filename, format = the
    /// extent line's kind, "" for a sparse file opened on its own, virtual-size, cluster-size unless flat, compressed
    /// when compressed).
    /// </summary>
    public override FormatSpecificInfo? GetSpecificInfo()
    {
        var extents = new List<object>();
        foreach (var e in _extents)
        {
            var o = new QapiObject()
                .Add("filename", e.File?.Path ?? "")
                .Add("format", e.Type)
                .Add("virtual-size", e.Length);
            if (e is not FlatExtent) o.Add("cluster-size", (long)e.GrainSize);
            if (e.IsCompressed) o.Add("compressed", true);
            extents.Add(o);
        }
        var data = new QapiObject()
            .Add("create-type", CreateType)
            .Add("cid", (long)Cid)
            .Add("parent-cid", (long)ParentCid)
            .Add("extents", extents);
        return new FormatSpecificInfo("vmdk", data);
    }

    public override bool SupportsCheck => true;

    /// <summary>
    /// qemu's vmdk_co_check: walks the disk grain by grain (a flat extent is one grain) and stops at the first grain whose
    /// offset is at or past the end of its extent file ("points after EOF", then the check fails with EINVAL). qemu cannot repair:
    /// with -r it answers as a format without check.
    /// </summary>
    public override CheckResult Check(CheckRepair repair, ICheckLog log)
    {
        if (repair != CheckRepair.None)
            throw new CheckNotSupportedException();
        for (int i = 0; i < _extents.Length; i++)
        {
            var extent = _extents[i];
            long grain = extent is FlatExtent || extent.GrainSize <= 0 ? Math.Max(extent.Length, 1) : extent.GrainSize;
            long fileLength = extent.File?.Length ?? 0;
            for (long pos = 0; pos < extent.Length;)
            {
                var run = extent.Lookup(pos, extent.Length - pos);
                long n = Math.Max(run.Length, 1);
                if (run.State is GrainState.Data or GrainState.Compressed)
                {
                    // each grain of a data run starts where the run says plus its distance from the run's start
                    for (long g = pos; g < pos + n; g = g - g % grain + grain)
                    {
                        long grainStart = g - g % grain;
                        long host = run.State == GrainState.Compressed ? run.HostOffset : run.HostOffset + (g - pos) - (g - grainStart);
                        if (host >= fileLength)
                        {
                            log.Message($"ERROR: cluster offset for sector {(_starts[i] + grainStart) / 512} points after EOF");
                            throw new ImageException("Invalid argument") { Errno = 22 };
                        }
                    }
                }
                pos += n;
            }
        }
        return new CheckResult();
    }
}
