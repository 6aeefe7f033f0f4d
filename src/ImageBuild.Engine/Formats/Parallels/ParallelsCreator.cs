using ImageBuild.Engine.Block;
using ImageBuild.Engine.Formats.File;
using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Parallels;

/// <summary>
/// Creates a Parallels image as qemu 7.2's parallels_co_create_opts and parallels_co_create do, byte for byte: the
/// sizes silently rounded up to whole sectors, the new magic, 16 heads and a cylinder count from the size, the
/// cluster size in sectors, one BAT entry per cluster (all zero), data_off at the first cluster after the header and
/// BAT, written as one header sector followed by zeros up to data_off.
/// </summary>
internal static class ParallelsCreator
{
    private const int E2BIG = 7;
    private const uint Heads = 16;
    private const uint SectorsPerCylinder = 32;

    public static void Create(CreateRequest request)
    {
        long size = Sectors.RoundUp(request.Size);
        long clusterSize = request.Options.GetSize("cluster_size") ?? ParallelsLimits.DefaultClusterSize;
        clusterSize = Sectors.RoundUp(clusterSize);
        // The file protocol creates the file; qemu then truncates it to 0, so its preallocation leaves nothing.
        using var file = FileProtocol.CreateFile(request, out _);
        if (clusterSize >= long.MaxValue / ParallelsLimits.MaxImageFactor)
            throw new ImageException("Cluster size is too large") { Errno = SnapshotException.EINVAL };
        if (clusterSize == 0 || size / ParallelsLimits.MaxImageFactor >= clusterSize)
            throw new ImageException("Image size is too large for this cluster size") { Errno = E2BIG };
        file.SetLength(0);

        long batEntries = (size + clusterSize - 1) / clusterSize;
        long batBytes = ParallelsHeader.Size + batEntries * 4;
        long batSectors = (batBytes + clusterSize - 1) / clusterSize * clusterSize / 512;

        var header = ParallelsHeader.CreateNew();
        header.Heads = Heads;
        header.Cylinders = (uint)(size / 512 / Heads / SectorsPerCylinder);
        header.Tracks = (uint)(clusterSize / 512);
        header.BatEntries = (uint)batEntries;
        header.NbSectors = (ulong)(size / 512);
        header.DataOff = (uint)batSectors;

        var sector = new byte[512];
        header.ToBytes().CopyTo(sector, 0);
        file.Write(0, sector);
        file.Allocate(512, (batSectors - 1) * 512);
    }
}
