using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>
/// A read-only sparse extent over a grain map (COWD/vmfsSparse, seSparse): qemu 7.2 reads both kinds and refuses
/// writes into them. The map answers lookups; this class reads the runs it names from the extent's file.
/// </summary>
internal sealed class GrainMapExtent : VmdkExtent
{
    private readonly IGrainMap _map;

    public GrainMapExtent(string type, long length, HostFile file, IGrainMap map, int grainSize) : base(type, length, file)
    {
        _map = map;
        GrainSize = grainSize;
    }

    public override int GrainSize { get; }

    public override GrainRun Lookup(long offset, long maxLength) => _map.Lookup(offset, Math.Min(maxLength, Length - offset));
}
