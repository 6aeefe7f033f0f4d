namespace ImageBuild.Engine.Operations;

/// <summary>What qemu-img convert is asked to do.</summary>
public sealed record ConvertRequest
{
    /// <summary>Source images, concatenated in order.</summary>
    public required IReadOnlyList<string> Sources { get; init; }

    /// <summary>-f: format of every source; null probes each.</summary>
    public string? SourceFormat { get; init; }

    public required string OutputFilename { get; init; }

    /// <summary>-O: target format.</summary>
    public string OutputFormat { get; init; } = "raw";

    /// <summary>-o: target create options, in the order given.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> TargetOptions { get; init; } = [];

    /// <summary>-B: create the target as an overlay of this file.</summary>
    public string? BackingFile { get; init; }

    /// <summary>-F: format of the target's backing file.</summary>
    public string? BackingFormat { get; init; }

    /// <summary>-n: the target exists already; do not create it.</summary>
    public bool NoCreate { get; init; }

    /// <summary>-S: zero runs at least this long (bytes, multiple of 512, ≤ 16 MiB) stay sparse; 0 allocates all.</summary>
    public long SparseSize { get; init; } = 4096;

    /// <summary>-c: compressed output.</summary>
    public bool Compress { get; init; }

    /// <summary>
    /// The deflate of compressed writes (zlib qcow2 and qcow clusters, VMDK grains): the runtime's zlib-ng by default
    /// (beyond qemu-img: about 2.3x the speed, streams about 1 % larger); <see cref="Compression.DeflateLibrary.SystemZlib"/>
    /// writes qemu-img's bytes exactly (the CLI's --qemu-compression).
    /// </summary>
    public Compression.DeflateLibrary Deflate { get; init; } = Compression.DeflateLibrary.RuntimeZlibNg;

    /// <summary>-m: parallel workers (1..16).</summary>
    public int Parallel { get; init; } = 8;

    /// <summary>
    /// -W: allow out-of-order writes. Without it the target is written in order (qemu's default); with it a raw target
    /// is written from up to <see cref="Parallel"/> threads at once. Compressed and allocating targets stay in order.
    /// </summary>
    public bool OutOfOrder { get; init; }

    /// <summary>--target-is-zero: the (existing, -n) target reads as zeros.</summary>
    public bool TargetIsZero { get; init; }

    /// <summary>-l: internal snapshot of the single source.</summary>
    public string? Snapshot { get; init; }

    /// <summary>
    /// -C: copy offloading. Data is copied whole (no zero detection inside it), by the kernel (copy_file_range) where
    /// both ends are plain files; a source that cannot be offloaded (compressed clusters) turns it off, as in qemu.
    /// </summary>
    public bool CopyRange { get; init; }

    /// <summary>--salvage: read errors become zeros, with a warning.</summary>
    public bool Salvage { get; init; }

    /// <summary>-r: bytes per second written to the target; 0 = unlimited.</summary>
    public long RateLimit { get; init; }

    /// <summary>-t: the target's cache mode is unsafe (qemu-img convert's default): no flushes, no write barriers.</summary>
    public bool TargetCacheUnsafe { get; init; } = true;

    /// <summary>-U: open sources without share locks.</summary>
    public bool ForceShare { get; init; }

    /// <summary>-q: no warnings about salvaged sectors.</summary>
    public bool Quiet { get; init; }

    /// <summary>--bitmaps: copy the source's persistent dirty bitmaps to the target (qcow2 v3 on both sides).</summary>
    public bool Bitmaps { get; init; }

    /// <summary>--skip-broken-bitmaps: leave out inconsistent (in-use) bitmaps with a warning instead of failing.</summary>
    public bool SkipBrokenBitmaps { get; init; }

    /// <summary>Progress in percent (0..100) as qemu computes it; null when not wanted.</summary>
    public Action<double>? Progress { get; init; }
}
