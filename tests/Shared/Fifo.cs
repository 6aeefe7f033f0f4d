using System.Diagnostics;

namespace ImageBuild.Tests.Shared;

/// <summary>Named pipes for tests of what must never be opened (an open for reading blocks until a writer comes).</summary>
public static class Fifo
{
    /// <summary>mkfifo <paramref name="path"/>.</summary>
    public static void Make(string path)
    {
        using var p = Process.Start("mkfifo", [path])!;
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new AssertFailedException($"fixture: mkfifo {path} exited {p.ExitCode}");
    }
}
