using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Tests.Vdi;

/// <summary>Records the writes made to host files and can fail one (an I/O error) or stop before one (a crash).</summary>
internal sealed class VdiWriteRecorder(int failAt = -1, bool crash = false) : IHostFileFaults
{
    public sealed class CrashException() : Exception("simulated crash");

    public List<(HostFileChange Change, long Offset, long Length)> Changes { get; } = [];

    private bool _crashed;

    public void Before(HostFile file, HostFileChange change, long offset, long length)
    {
        if (_crashed) throw new CrashException();
        int index = Changes.Count;
        Changes.Add((change, offset, length));
        if (index != failAt) return;
        if (crash)
        {
            _crashed = true;
            throw new CrashException();
        }
        throw new IOException("injected", 5);
    }
}
