using ImageBuild.Engine.Formats.Vhdx.Log;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vhdx;

/// <summary>
/// How the driver reads its file: directly, or — for a read-only open of an image whose log still needs replaying —
/// as the replay would leave it (<see cref="VhdxLogOverlay"/>), so that nothing is written and the data is current.
/// </summary>
internal sealed class VhdxFileView(HostFile file, VhdxLogOverlay? overlay)
{
    public HostFile File { get; } = file;

    public bool Replayed => overlay is not null;

    public long Length => overlay is null ? File.Length : overlay.Length(File);

    public void Read(long offset, Span<byte> dest)
    {
        if (overlay is null)
            File.Read(offset, dest);
        else
            overlay.Read(File, offset, dest);
    }
}
