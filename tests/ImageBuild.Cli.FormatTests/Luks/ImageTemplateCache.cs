using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Luks;

/// <summary>
/// Encrypted images qemu makes for the tests of one class, each made once (on first use) and copied into every test
/// that starts from it. Creating a LUKS header costs qemu two PBKDF2 benchmarks (over half a second of CPU each,
/// whatever the iter-time) where a copy costs nothing; each test still gets a file of its own to change. Owned by
/// the class: ClassInitialize creates it, ClassCleanup disposes it with its folder.
/// </summary>
internal sealed class ImageTemplateCache : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly Dictionary<string, string> _made = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>
    /// Copies template <paramref name="key"/> to <paramref name="destination"/> with its holes (cp --sparse=always,
    /// as the tests copy qemu's images between twins). The first time, <paramref name="make"/> makes it: given this
    /// cache's folder (its working directory, where it also writes the key files it needs) and a file name there.
    /// </summary>
    public void Place(string key, Action<string, string> make, string destination)
    {
        string source;
        lock (_gate)
        {
            if (!_made.TryGetValue(key, out source!))
            {
                string file = $"template{_made.Count}.img";
                make(_dir.Path, file);
                source = _dir[file];
                _made[key] = source;
            }
        }
        var r = QemuOracle.Run("cp", ["--sparse=always", source, destination]);
        if (r.ExitCode != 0) throw new AssertFailedException("cp: " + r.StdErr);
    }

    public void Dispose() => _dir.Dispose();
}
