using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>
/// A FLAT or VMFS extent (VMDK 5.0 spec, "Extent Descriptions": the extent's sectors stored in order in a file from a
/// given sector offset; VMFS extents always start at 0): guest byte N of the extent is byte start + N of the file.
/// As in qemu, the whole extent is one "grain" (cluster_sectors = the extent's sectors) and a file shorter than the
/// extent reads as zeros past its end.
/// </summary>
internal sealed class FlatExtent : VmdkExtent
{
    public FlatExtent(string type, long length, HostFile file, long startOffset) : base(type, length, file) => StartOffset = startOffset;

    /// <summary>Where the extent starts in its file (the descriptor's OFFSET × 512).</summary>
    public long StartOffset { get; }

    public override bool IsWritable => true;

    public override GrainRun Lookup(long offset, long maxLength) =>
        new(GrainState.Data, StartOffset + offset, Math.Min(maxLength, Length - offset));

    public override void Write(long offset, ReadOnlySpan<byte> src, BelowReader below) => File!.Write(StartOffset + offset, src);
}
