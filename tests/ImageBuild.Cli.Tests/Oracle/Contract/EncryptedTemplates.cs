using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle.Contract;

/// <summary>
/// The filled images of the encrypted rows (<see cref="EncryptedFixtures.MakeFilledImage"/> with the row's own
/// options), each made once per test class and copied into every case that starts from it: a LUKS header costs qemu
/// two PBKDF2 benchmarks (over half a second of CPU each, whatever the iter-time), a copy nothing. Two variants per
/// row are two images made apart (each its own keys, salts and UUID), for the twins of the cases that change one
/// image in each tool. Owned by the class: ClassInitialize creates it, ClassCleanup disposes it with its folder.
/// </summary>
internal sealed class EncryptedTemplates : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly Dictionary<(string Row, int Variant), string> _made = [];
    private readonly Lock _gate = new();

    /// <summary>
    /// <paramref name="dir"/>/<paramref name="name"/>: a copy (holes kept) of filled image <paramref name="variant"/>
    /// of row <paramref name="p"/>, made the first time it is asked for; the row's secret files are written into
    /// <paramref name="dir"/> too, as <see cref="EncryptedFixtures.MakeFilledImage"/> writes them.
    /// </summary>
    public void PlaceFilled(EncryptedProfile p, string dir, string name, int variant = 0)
    {
        string source;
        lock (_gate)
        {
            if (!_made.TryGetValue((p.Row, variant), out source!))
            {
                string file = $"{p.Row}-{variant}.{p.Extension}";
                EncryptedFixtures.MakeFilledImage(p, _dir.Path, file, "");
                source = _dir[file];
                _made[(p.Row, variant)] = source;
            }
        }
        EncryptedFixtures.WriteSecrets(dir);
        var r = QemuOracle.Run("cp", ["--sparse=always", source, Path.Combine(dir, name)]);
        if (r.ExitCode != 0) throw new AssertFailedException("cp: " + r.StdErr);
    }

    public void Dispose() => _dir.Dispose();
}
