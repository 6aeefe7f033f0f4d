namespace ImageBuild.Oci.Distribution;

/// <summary>
/// Where a pull writes, and how it makes sure a failed pull leaves nothing that looks valid: every file is written
/// to a hidden temporary beside its final name and renamed into place only by <see cref="Commit"/>, after all of
/// them are complete and verified; <see cref="Dispose"/> without a commit deletes the temporaries (and the
/// directory, when the pull created it).
/// <para>DEST is a directory when it is one (files keep their names in it), the file itself for a single-file image,
/// and a new directory for an image of several files.</para>
/// </summary>
public sealed class PullDestination : IDisposable
{
    private readonly List<(string Temporary, string Final)> _files = [];
    private readonly string? _createdDirectory;
    private bool _committed;

    private PullDestination(string directory, string? singleFile, string? createdDirectory)
    {
        Directory = directory;
        SingleFile = singleFile;
        _createdDirectory = createdDirectory;
    }

    /// <summary>The directory the files land in.</summary>
    public string Directory { get; }

    /// <summary>The final path of the only file when DEST names the file itself.</summary>
    private string? SingleFile { get; }

    /// <summary>The final paths, in the order the files were added (main file first).</summary>
    public IReadOnlyList<string> Paths => _files.ConvertAll(f => f.Final);

    /// <summary>Decides where the <paramref name="fileCount"/> files of an image go for DEST <paramref name="destination"/>.</summary>
    /// <exception cref="DistributionException">DEST cannot receive them (its parent directory does not exist, a file stands where a directory is needed).</exception>
    public static PullDestination Prepare(string destination, int fileCount)
    {
        // paths keep the form the user gave (relative stays relative), for what the pull prints
        if (System.IO.Directory.Exists(destination))
            return new PullDestination(destination, null, null);
        string trimmed = Path.TrimEndingDirectorySeparator(destination);
        string parent = Path.GetDirectoryName(trimmed) is { Length: > 0 } p ? p : ".";
        if (!System.IO.Directory.Exists(parent))
            throw new DistributionException($"{destination}: the directory '{parent}' does not exist");
        bool endsAsDirectory = trimmed.Length != destination.Length;
        if (fileCount == 1 && !endsAsDirectory)
            return new PullDestination(parent, destination, null);
        if (File.Exists(trimmed))
            throw new DistributionException($"{destination}: the image has {fileCount} files, and this is a file, not a directory");
        System.IO.Directory.CreateDirectory(trimmed);
        return new PullDestination(trimmed, null, trimmed);
    }

    /// <summary>Reserves the final name of file <paramref name="name"/> (checked) and returns the temporary to write it to.</summary>
    public string Add(string name)
    {
        if (ArtifactNames.Problem(name) is { } problem)
            throw new InvalidDataException($"{name}: {problem}");
        string final = SingleFile ?? Path.Combine(Directory, name);
        if (_files.Exists(f => f.Final == final))
            throw new InvalidDataException($"the image names the file '{name}' twice");
        string temporary = Path.Combine(Directory, $".{Path.GetFileName(final)}.{Guid.NewGuid():N}.imagebuild-pull");
        _files.Add((temporary, final));
        return temporary;
    }

    /// <summary>Renames every temporary into place (replacing what stood there).</summary>
    public void Commit()
    {
        foreach (var (temporary, final) in _files)
            File.Move(temporary, final, overwrite: true);
        _committed = true;
    }

    public void Dispose()
    {
        if (_committed)
            return;
        foreach (var (temporary, _) in _files)
            TryDelete(temporary);
        if (_createdDirectory is not null)
        {
            try
            {
                System.IO.Directory.Delete(_createdDirectory, recursive: false);
            }
            catch (IOException)
            {
                // something else was put there meanwhile: it is not ours to delete
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
