namespace ImageBuild.Engine.Tests.Compression;

/// <summary>Real, deterministic test data: the bytes of the machine's shared libraries, in name order.</summary>
internal static class CompressionTestData
{
    /// <summary>The first <paramref name="length"/> bytes of the concatenated regular files under /usr/lib/x86_64-linux-gnu (or /usr/lib).</summary>
    public static byte[] RealBytes(int length, int skip = 0)
    {
        var result = new byte[length];
        int filled = 0;
        long toSkip = skip;
        foreach (string file in Files())
        {
            try
            {
                using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
                long len = fs.Length;
                if (toSkip >= len) { toSkip -= len; continue; }
                fs.Seek(toSkip, SeekOrigin.Begin);
                toSkip = 0;
                int n;
                while (filled < length && (n = fs.Read(result, filled, length - filled)) > 0) filled += n;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            if (filled == length) return result;
        }
        throw new AssertInconclusiveException($"not enough bytes under /usr/lib for {length} bytes of test data");
    }

    private static IEnumerable<string> Files()
    {
        string root = Directory.Exists("/usr/lib/x86_64-linux-gnu") ? "/usr/lib/x86_64-linux-gnu" : "/usr/lib";
        var opts = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        var files = Directory.EnumerateFiles(root, "*", opts).ToList();
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    public static byte[] Random(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }
}
