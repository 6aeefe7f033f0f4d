using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle;

/// <summary>
/// A scratch directory with two twins: <see cref="Q"/> where qemu-img makes its result and <see cref="T"/> where the
/// tool under test makes its own, so both run with the same relative file names and print the same text.
/// </summary>
public sealed class OracleDirs : IDisposable
{
    private readonly TempDir _tmp = new();

    public OracleDirs()
    {
        Directory.CreateDirectory(Q);
        Directory.CreateDirectory(T);
    }

    public string Root => _tmp.Path;

    /// <summary>qemu-img's working directory.</summary>
    public string Q => System.IO.Path.Combine(_tmp.Path, "q");

    /// <summary>The tool under test's working directory.</summary>
    public string T => System.IO.Path.Combine(_tmp.Path, "t");

    public string this[string name] => _tmp[name];

    /// <summary>Runs the same qemu-img fixture command in both twins.</summary>
    public void QemuOkInBoth(params string[] args)
    {
        ToolUnderTest.QemuOk(Q, args);
        ToolUnderTest.QemuOk(T, args);
    }

    public void Dispose() => _tmp.Dispose();
}
