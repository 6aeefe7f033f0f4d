using System.Diagnostics;

namespace ImageBuild.Tests.Shared;

/// <summary>Keeps an image open in an interactive qemu-io until disposed (it then holds qemu's locks on it).</summary>
public sealed class QemuIoHolder : IDisposable
{
    private readonly Process _p;

    public QemuIoHolder(string format, string file, string? lockedFile = null)
    {
        // run beside the image: names qemu opens as they are (a qcow2 data file) are relative to the working directory
        var psi = new ProcessStartInfo(QemuOracle.QemuIo)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(file))!,
        };
        foreach (var a in new[] { "-f", format, file }) psi.ArgumentList.Add(a);
        _p = Process.Start(psi)!;
        long ino = Inode(lockedFile ?? file);
        var sw = Stopwatch.StartNew();
        while (!File.ReadAllText("/proc/locks").Contains($":{ino} ", StringComparison.Ordinal))
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(20)) throw new AssertFailedException("qemu-io did not lock the image");
            Thread.Sleep(20);
        }
    }

    private static long Inode(string file) =>
        long.Parse(QemuOracle.Run("/usr/bin/stat", ["-c", "%i", file]).StdOut.Trim(), System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _p.StandardInput.Close();
        if (!_p.WaitForExit(10_000)) _p.Kill();
        _p.Dispose();
    }
}

