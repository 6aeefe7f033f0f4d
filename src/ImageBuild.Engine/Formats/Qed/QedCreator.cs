using ImageBuild.Engine.Block;
using ImageBuild.Engine.Formats.File;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Qed;

/// <summary>
/// Creates a QED image as bdrv_qed_co_create_opts and bdrv_qed_co_create do, so that the file is byte-identical:
/// the file is created (empty) first, then the options are checked (a refused image leaves the empty file, as in
/// qemu), then the 64-byte header, the backing file name right after it and the zeroed L1 table at cluster 1.
/// </summary>
internal static class QedCreator
{
    public static void Create(CreateRequest request)
    {
        // The file protocol creates the file first; any preallocation it makes is undone by the truncation to 0
        // below, so the mode plays no further part.
        using var file = FileProtocol.CreateFile(request, out _);
        var options = QedCreateOptions.Parse(request.Options);
        ulong size = (ulong)Sectors.RoundUp(request.Size); // "silently round up size"
        options.Validate(size);

        var header = new QedHeader
        {
            MagicField = QedHeader.Magic,
            ClusterSize = options.ClusterSize,
            TableSize = options.TableSize,
            HeaderSize = 1,
            L1TableOffset = options.L1Offset,
            ImageSize = size,
        };
        byte[] name = [];
        if (options.BackingFile is { } backing)
        {
            name = System.Text.Encoding.UTF8.GetBytes(backing);
            header.Features |= QedHeader.FeatureBackingFile;
            header.BackingFilenameOffset = QedHeader.Size;
            header.BackingFilenameSize = (uint)name.Length;
            if (options.BackingFormat == "raw")
                header.Features |= QedHeader.FeatureBackingNoProbe;
        }

        file.SetLength(0);
        file.Write(0, header.ToBytes());
        if (name.Length > 0)
            file.Write(QedHeader.Size, name);
        file.WriteZeros((long)header.L1TableOffset, (long)options.ClusterSize * options.TableSize);
    }
}
