namespace ImageBuild.Engine.Block;

/// <summary>How to open an image.</summary>
public sealed record OpenOptions
{
    /// <summary>Format name; null probes the first bytes as qemu does.</summary>
    public string? Format { get; init; }

    public bool Writable { get; init; }

    /// <summary>Do not open the backing chain (qemu's BDRV_O_NO_BACKING), e.g. for info or unsafe rebase.</summary>
    public bool NoBacking { get; init; }

    /// <summary>Open backing files writable too (commit).</summary>
    public bool BackingWritable { get; init; }

    /// <summary>-U / --force-share: let others write and resize the image; only valid for read-only opens.</summary>
    public bool ForceShare { get; init; }

    /// <summary>Metadata only, no guest data I/O (qemu's BDRV_O_NO_IO, as info opens): no consistent-read lock.</summary>
    public bool NoIo { get; init; }

    /// <summary>Forbid others to write while we read (qemu's BDRV_O_NO_SHARE, as convert opens its sources).</summary>
    public bool NoShare { get; init; }

    /// <summary>The opener will resize the image (takes the resize permission).</summary>
    public bool Resize { get; init; }

    /// <summary>qemu's cache=unsafe: flushes (and the ordering barriers between metadata writes) are skipped.</summary>
    public bool UnsafeCache { get; init; }

    /// <summary>Opened by check (qemu's BDRV_O_CHECK): corrupt or dirty images open read-write for repair, without the automatic repair.</summary>
    public bool ForCheck { get; init; }

    /// <summary>
    /// Discard and unmapping zero writes reach the host file (qemu's BDRV_O_UNMAP, which qemu-img commit and qemu-io
    /// set): a format that frees clusters then punches them out of its file.
    /// </summary>
    public bool Unmap { get; init; }

    /// <summary>Take no qemu-compatible locks at all (qemu's locking=off).</summary>
    public bool NoLocking { get; init; }

    /// <summary>
    /// Runtime options for the image's format driver as qemu's flattened QDict has them after the generic keys are
    /// taken (<c>driver</c>, <c>file.*</c>): e.g. <c>key-secret</c> for luks, <c>encrypt.key-secret</c> for qcow2;
    /// keys under <c>backing.</c> are for the backing image. From --image-opts, json: filenames or a host. Null: none.
    /// </summary>
    public IReadOnlyDictionary<string, string>? DriverOptions { get; init; }
}
