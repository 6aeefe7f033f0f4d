using ImageBuild.Engine;
using ImageBuild.Engine.Compression;

namespace ImageBuild.Packaging.Compression;

/// <summary>
/// Names, levels and writers of the archive compressions: gzip through the machine's zlib (pigz-style parallel blocks
/// in one member), zstd through libzstd's worker threads (one frame), xz through liblzma's multithreaded encoder
/// (fixed block size). For each the bytes depend only on the method, the level and the input, never on the thread
/// count, the clock or the machine (beyond which library versions it has).
/// </summary>
public static class Compressors
{
    private const int ChunkSize = 1 << 20;

    /// <summary>Parses "gzip", "zstd" or "xz" (exactly, lower case).</summary>
    public static bool TryParse(string name, out CompressionMethod method)
    {
        switch (name)
        {
            case "gzip": method = CompressionMethod.Gzip; return true;
            case "zstd": method = CompressionMethod.Zstd; return true;
            case "xz": method = CompressionMethod.Xz; return true;
            default: method = default; return false;
        }
    }

    /// <summary>"gzip", "zstd" or "xz".</summary>
    public static string Name(CompressionMethod method) => method switch
    {
        CompressionMethod.Gzip => "gzip",
        CompressionMethod.Zstd => "zstd",
        CompressionMethod.Xz => "xz",
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "unknown compression method"),
    };

    /// <summary>".gz", ".zst" or ".xz", as the gzip, zstd and xz tools name their files.</summary>
    public static string Extension(CompressionMethod method) => method switch
    {
        CompressionMethod.Gzip => ".gz",
        CompressionMethod.Zstd => ".zst",
        CompressionMethod.Xz => ".xz",
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "unknown compression method"),
    };

    /// <summary>The levels each tool accepts and its default: gzip 1–9 (6), zstd 1–19 (3), xz 0–9 (6).</summary>
    public static CompressionLevels Levels(CompressionMethod method) => method switch
    {
        CompressionMethod.Gzip => new CompressionLevels(1, 9, 6),
        CompressionMethod.Zstd => new CompressionLevels(1, 19, 3),
        CompressionMethod.Xz => new CompressionLevels(0, 9, 6),
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "unknown compression method"),
    };

    /// <summary>
    /// A write-only stream compressing into <paramref name="output"/>; disposing it finishes the compressed stream
    /// (and disposes <paramref name="output"/> unless <paramref name="leaveOpen"/>). The bytes depend only on
    /// (method, level, input), never on <paramref name="threads"/> (0 = every core).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The level is outside <see cref="Levels"/>, or threads is negative.</exception>
    /// <exception cref="ImageException">xz is asked for and liblzma.so.5 cannot be loaded.</exception>
    public static Stream Create(Stream output, CompressionMethod method, int? level = null, int threads = 0, bool leaveOpen = false) =>
        Create(output, method, level, threads, leaveOpen, contentSize: null);

    internal static Stream Create(Stream output, CompressionMethod method, int? level, int threads, bool leaveOpen, long? contentSize)
    {
        ArgumentNullException.ThrowIfNull(output);
        int lvl = CheckLevel(method, level);
        int workers = CheckThreads(threads);
        return method switch
        {
            CompressionMethod.Gzip => new ParallelGzipStream(output, lvl, workers, ZlibLibrary.TryGet(out _), leaveOpen),
            CompressionMethod.Zstd => new ZstdFrameStream(output, lvl, workers, contentSize, leaveOpen),
            CompressionMethod.Xz => new XzStream(output, lvl, workers, leaveOpen),
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, "unknown compression method"),
        };
    }

    /// <summary>
    /// Compresses <paramref name="source"/> into <paramref name="destination"/> (created or overwritten), reading the
    /// source once. <paramref name="progress"/> gets the percentage of the source read; cancellation is checked
    /// between 1 MiB chunks. On any failure the destination is deleted and the error is one line naming the file.
    /// A zstd frame made here also records the content size (the source's length), as the zstd tool does.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The level is outside <see cref="Levels"/>, or threads is negative.</exception>
    /// <exception cref="ImageException">The source cannot be read or the destination written.</exception>
    /// <exception cref="OperationCanceledException">Cancelled (the destination is gone).</exception>
    public static CompressResult CompressFile(string source, string destination, CompressionMethod method, int? level,
        int threads, Action<double>? progress, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        CheckLevel(method, level);
        CheckThreads(threads);
        cancellation.ThrowIfCancellationRequested();

        FileStream input;
        try
        {
            input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageException($"{source}: cannot open for reading: {Reason(e)}");
        }

        bool created = false;
        using (input)
        {
            try
            {
                long length = input.Length;
                using var file = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, 0);
                created = true;
                long written;
                Stream compressor = Create(file, method, level, threads, leaveOpen: true, contentSize: length);
                try
                {
                    long read = Copy(input, compressor, source, length, progress, cancellation);
                    if (read != length) throw new ImageException($"{source}: changed size while being compressed");
                }
                catch
                {
                    ((CompressingStream)compressor).Abort(); // nothing more to compress: the output is deleted below
                    throw;
                }
                finally
                {
                    compressor.Dispose();
                }
                written = file.Length;
                progress?.Invoke(100);
                return new CompressResult(length, written);
            }
            catch (Exception e)
            {
                if (created) TryDelete(destination);
                if (e is ImageException && !e.Message.StartsWith(source + ":") && !e.Message.StartsWith(destination + ":"))
                    throw new ImageException($"{destination}: {e.Message}", e);
                if (e is OperationCanceledException or ImageException or ArgumentException) throw;
                if (e is IOException or UnauthorizedAccessException)
                    throw new ImageException($"{destination}: cannot write {Name(method)} output: {Reason(e)}");
                throw;
            }
        }
    }

    private static long Copy(FileStream input, Stream compressor, string source, long length, Action<double>? progress,
        CancellationToken cancellation)
    {
        byte[] chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            long total = 0;
            while (true)
            {
                cancellation.ThrowIfCancellationRequested();
                int n;
                try
                {
                    n = input.Read(chunk, 0, ChunkSize);
                }
                catch (IOException e)
                {
                    throw new ImageException($"{source}: read failed: {Reason(e)}");
                }
                if (n == 0) return total;
                compressor.Write(chunk, 0, n);
                total += n;
                if (length > 0) progress?.Invoke(Math.Min(100.0, 100.0 * total / length));
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static int CheckLevel(CompressionMethod method, int? level)
    {
        CompressionLevels levels = Levels(method);
        int lvl = level ?? levels.Default;
        if (lvl < levels.Min || lvl > levels.Max)
            throw new ArgumentOutOfRangeException(nameof(level), lvl,
                $"{Name(method)} level must be between {levels.Min} and {levels.Max}");
        return lvl;
    }

    private static int CheckThreads(int threads)
    {
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be 0 (every core) or more");
        return threads == 0 ? Environment.ProcessorCount : threads;
    }

    /// <summary>The first line of an I/O error's message, without .NET's wording around the path.</summary>
    private static string Reason(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        UnauthorizedAccessException => "Permission denied",
        _ => e.Message.Split('\n')[0].Trim(),
    };

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The original failure is what the caller needs to see.
        }
    }
}
