using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Dmg;

/// <summary>
/// An opened DMG (qemu's block/dmg.c): the UDIF trailer, then the block tables from the resource fork or, without
/// one, the XML property list; guest sectors are read chunk by chunk. qemu keeps one decoded chunk; so does this
/// device (for chunks a request covers only in part), while chunks a request covers whole are decoded straight into
/// it, several at once, so that a sequential read (convert) uses every core. Memory stays bounded: one cached chunk
/// and one stored chunk per decoding thread, each at most 64 MiB, outside the managed heap.
/// </summary>
public sealed partial class DmgDevice : ReadOnlyImageDevice
{
    private const int SectorSize = 512;
    private const int Eio = 5;

    private readonly DmgChunkTable _table;
    private readonly long _virtualSize;
    private readonly long _fileLength;
    private readonly Lock _lock = new();

    private NativeBuffer? _cache;
    private long _cachedChunk = -1;

    internal DmgDevice(OpenRequest request) : base(request)
    {
        DmgEncryption.Refuse(File);
        UdifTrailer trailer;
        try
        {
            trailer = UdifTrailer.Read(File);
            var builder = new DmgTableBuilder(trailer.DataForkOffset, request.Context.Warn);
            if (trailer.ResourceForkLength != 0)
                ResourceFork.Read(File, trailer.ResourceForkOffset, trailer.ResourceForkLength, builder);
            else
                XmlPlist.Read(File, trailer.PlistOffset, trailer.PlistLength, builder);
            _table = builder.Build();
        }
        catch (DmgInvalidException e)
        {
            throw e.WithFile(request.Filename);
        }
        _virtualSize = trailer.SectorCount * SectorSize;
        _fileLength = File.Length;
    }

    public override string FormatName => "dmg";

    public override long VirtualSize => _virtualSize;

    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        _cache?.Dispose();
        File.Dispose();
    }
}
