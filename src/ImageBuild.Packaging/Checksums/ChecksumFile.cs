using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using ImageBuild.Engine;

namespace ImageBuild.Packaging.Checksums;

/// <summary>
/// Writes checksum files in GNU coreutils' text format, the one <c>sha256sum -c</c> and <c>sha512sum -c</c> read:
/// one line per file, "&lt;lowercase hex digest&gt;" then two spaces (text mode, which on POSIX reads the same bytes
/// as binary mode) then the name, then "\n". Names that coreutils would have to escape (a newline or a backslash)
/// are refused, so every line is the plain form. Files are hashed in parallel, each read once, streamed.
/// </summary>
public static class ChecksumFile
{
    private const int ChunkSize = 1 << 20;

    /// <summary>Parses "sha256" or "sha512" (exactly, lower case).</summary>
    public static bool TryParse(string name, out ChecksumAlgorithm algorithm)
    {
        switch (name)
        {
            case "sha256": algorithm = ChecksumAlgorithm.Sha256; return true;
            case "sha512": algorithm = ChecksumAlgorithm.Sha512; return true;
            default: algorithm = default; return false;
        }
    }

    /// <summary>"SHA256SUMS" or "SHA512SUMS", the names distributions give these files.</summary>
    public static string DefaultName(ChecksumAlgorithm algorithm) => algorithm switch
    {
        ChecksumAlgorithm.Sha256 => "SHA256SUMS",
        ChecksumAlgorithm.Sha512 => "SHA512SUMS",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "unknown checksum algorithm"),
    };

    /// <summary>
    /// Hashes every entry's file and writes "&lt;hex&gt;  &lt;name&gt;\n" per entry, in the given order, to
    /// <paramref name="outputPath"/> (created or overwritten, only once every file is hashed). Progress is the
    /// percentage of all the files' bytes hashed; cancellation is checked between 1 MiB chunks.
    /// </summary>
    /// <exception cref="ArgumentException">A name is empty or has a newline, carriage return or backslash.</exception>
    /// <exception cref="ImageException">A file cannot be read, or the output cannot be written (one line naming it).</exception>
    public static void Write(string outputPath, ChecksumAlgorithm algorithm, IReadOnlyList<ChecksumEntry> entries,
        Action<double>? progress, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(outputPath);
        ArgumentNullException.ThrowIfNull(entries);
        HashAlgorithmName hash = algorithm switch
        {
            ChecksumAlgorithm.Sha256 => HashAlgorithmName.SHA256,
            ChecksumAlgorithm.Sha512 => HashAlgorithmName.SHA512,
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "unknown checksum algorithm"),
        };
        foreach (ChecksumEntry entry in entries) CheckName(entry);

        long[] sizes = new long[entries.Count];
        for (int i = 0; i < entries.Count; i++)
        {
            try
            {
                sizes[i] = new FileInfo(entries[i].Path) is { Exists: true } info
                    ? info.Length
                    : throw new ImageException($"{entries[i].Path}: cannot checksum: No such file or directory");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ImageException($"{entries[i].Path}: cannot checksum: {e.Message.Split('\n')[0].Trim()}");
            }
        }

        var tracker = new ProgressTracker(progress, sizes.Sum());
        var digests = new string[entries.Count];
        var options = new ParallelOptions { CancellationToken = cancellation, MaxDegreeOfParallelism = Environment.ProcessorCount };
        var errors = new ImageException?[entries.Count];
        try
        {
            HashAll();
        }
        catch (AggregateException e) when (e.InnerExceptions.All(x => x is OperationCanceledException))
        {
            // The progress callback stopped the work (its documented way to cancel): rethrow that, not the aggregate.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
        // The first failing entry in list order, so the message does not depend on thread timing.
        if (errors.FirstOrDefault(e => e is not null) is { } first) throw first;

        void HashAll() => Parallel.For(0, entries.Count, options, (i, state) =>
        {
            try
            {
                digests[i] = Hash(entries[i].Path, hash, tracker, cancellation);
            }
            catch (ImageException e)
            {
                errors[i] = e;
                state.Break(); // entries after this one need not start; earlier ones still finish
            }
        });

        var text = new StringBuilder();
        for (int i = 0; i < entries.Count; i++) text.Append(digests[i]).Append("  ").Append(entries[i].Name).Append('\n');
        WriteText(outputPath, text.ToString());
        tracker.Complete();
    }

    private static void CheckName(ChecksumEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(entry.Path);
        if (string.IsNullOrEmpty(entry.Name))
            throw new ArgumentException($"checksum entry for '{entry.Path}' has an empty name", nameof(entry));
        if (entry.Name.AsSpan().IndexOfAny('\n', '\r', '\\') >= 0)
            throw new ArgumentException(
                $"checksum entry name '{entry.Name.ReplaceLineEndings(" ")}' has a newline or backslash, which sha256sum -c would read as an escaped name",
                nameof(entry));
    }

    private static string Hash(string path, HashAlgorithmName hash, ProgressTracker tracker, CancellationToken cancellation)
    {
        byte[] chunk = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
            using var digest = IncrementalHash.CreateHash(hash);
            int n;
            while ((n = input.Read(chunk, 0, ChunkSize)) > 0)
            {
                cancellation.ThrowIfCancellationRequested();
                digest.AppendData(chunk, 0, n);
                tracker.Add(n);
            }
            return Convert.ToHexStringLower(digest.GetHashAndReset());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string reason = e is FileNotFoundException or DirectoryNotFoundException ? "No such file or directory"
                : e is UnauthorizedAccessException ? "Permission denied" : e.Message.Split('\n')[0].Trim();
            throw new ImageException($"{path}: cannot checksum: {reason}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static void WriteText(string outputPath, string text)
    {
        try
        {
            File.WriteAllBytes(outputPath, Encoding.UTF8.GetBytes(text));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(outputPath); } catch (Exception d) when (d is IOException or UnauthorizedAccessException) { }
            throw new ImageException($"{outputPath}: cannot write checksum file: {e.Message.Split('\n')[0].Trim()}");
        }
    }

    /// <summary>Turns bytes hashed on several threads into one increasing percentage.</summary>
    private sealed class ProgressTracker(Action<double>? progress, long total)
    {
        private readonly Lock _lock = new();
        private long _done;

        public void Add(int n)
        {
            if (progress is null) return;
            lock (_lock)
            {
                _done += n;
                progress(total == 0 ? 100 : 100.0 * _done / total);
            }
        }

        public void Complete() => progress?.Invoke(100);
    }
}
