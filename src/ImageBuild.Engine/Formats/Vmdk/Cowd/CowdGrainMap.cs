using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vmdk.Cowd;

/// <summary>
/// PLACEHOLDER of the COWD helper's CowdGrainMap (branch i15-cowd), only so that the device compiles on this branch:
/// it refuses every file. The lead takes the COWD helper's file at merge.
/// </summary>
internal sealed class CowdGrainMap : IGrainMap
{
    private CowdGrainMap() { }

    public long Capacity => 0;

    public long ClusterSize => 512;

    public static CowdGrainMap Open(HostFile file) =>
        throw new ImageException($"'{file.Path}': Cowd extents are read by branch i15-cowd, not merged here");

    public GrainRun Lookup(long offset, long maxLength) => new(GrainState.Unallocated, 0, maxLength);
}
