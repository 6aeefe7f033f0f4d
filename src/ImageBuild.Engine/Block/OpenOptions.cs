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

    /// <summary>-U / --force-share: only valid for read-only opens.</summary>
    public bool ForceShare { get; init; }
}
