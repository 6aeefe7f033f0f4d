using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vmdk.SeSparse;

/// <summary>
/// PLACEHOLDER of the COWD helper's SeSparseGrainMap (branch i15-cowd), only so that the device compiles on this branch:
/// it refuses every file. The lead takes the COWD helper's file at merge.
/// </summary>
internal sealed class SeSparseGrainMap : IGrainMap
{
    private SeSparseGrainMap() { }

    public long Capacity => 0;

    public long ClusterSize => 512;

    public static SeSparseGrainMap Open(HostFile file) =>
        throw new ImageException($"'{file.Path}': SeSparse extents are read by branch i15-cowd, not merged here");

    public GrainRun Lookup(long offset, long maxLength) => new(GrainState.Unallocated, 0, maxLength);
}
