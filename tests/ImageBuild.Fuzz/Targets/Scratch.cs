namespace ImageBuild.Fuzz;

/// <summary>
/// The directory a run works in (tmpfs when available): the input is written here under a fixed name, next to
/// the small files the seeds name (base.raw as backing file, data.raw as external data file), which are laid
/// anew before every run because the write phase may change them.
/// </summary>
public sealed class Scratch : IDisposable
{
    public const int AuxSize = 64 * 1024;

    /// <summary>
    /// A scratch directory named <paramref name="name"/> (default: per process). A fixed name is emptied first and
    /// reused, so that fuzz processes restarted after a hang do not leave directories behind.
    /// </summary>
    public Scratch(string? name = null)
    {
        string root = System.IO.Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        Directory = Path.Combine(root, name ?? $"imagebuild-fuzz-{Environment.ProcessId}");
        if (name is not null && System.IO.Directory.Exists(Directory))
            System.IO.Directory.Delete(Directory, recursive: true);
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>Writes the input (and fresh auxiliary files) and returns the input's path.</summary>
    public string WriteInput(ReadOnlySpan<byte> input, string name)
    {
        LayAuxiliaryFiles(Directory);
        string path = PathOf(name);
        using var f = File.Create(path);
        f.Write(input);
        return path;
    }

    /// <summary>Writes base.raw (64 KiB of 0x11) and data.raw (64 KiB of 0x22) into <paramref name="dir"/>.</summary>
    public static void LayAuxiliaryFiles(string dir)
    {
        File.WriteAllBytes(Path.Combine(dir, "base.raw"), Pattern(0x11));
        File.WriteAllBytes(Path.Combine(dir, "data.raw"), Pattern(0x22));
    }

    private static byte[] Pattern(byte value)
    {
        var b = new byte[AuxSize];
        Array.Fill(b, value);
        return b;
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
    }
}
