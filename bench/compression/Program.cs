using System.Diagnostics;
using System.Globalization;
using ImageBuild.Engine.Compression;

// Throughput of the qcow2 cluster codecs on real data (files under /usr/lib), single-threaded and with N threads,
// and of qemu-img convert -c on a raw image holding the same data. Arguments: [MiB of data] [cluster size] [threads].
int mib = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 256;
int clusterSize = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 65536;
int threads = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : Environment.ProcessorCount;
string work = Environment.GetEnvironmentVariable("BENCH_WORK") ?? Path.Combine(Path.GetTempPath(), "imagebuild-compression-bench-" + Environment.ProcessId);

// BENCH_INPUT: a raw disk image to take the data from instead (its all-zero clusters left out, as convert -c skips them)
byte[] data = Environment.GetEnvironmentVariable("BENCH_INPUT") is { Length: > 0 } input
    ? NonZeroClusters(input, (long)mib << 20, clusterSize)
    : RealData((long)mib << 20, clusterSize);
int clusters = data.Length / clusterSize;
Console.WriteLine($"data: {data.Length >> 20} MiB of /usr/lib files, {clusters} clusters of {clusterSize} B, {threads} threads max, {Environment.ProcessorCount} cores");
Console.WriteLine($"{"codec",-22} {"threads",7} {"ratio",7} {"uncompr",8} {"compress MB/s",14} {"decompress MB/s",16}");

var codecs = new (string Name, ClusterCompressor Codec)[]
{
    ("zlib-4K level 6", new DeflateClusterCompressor(-1, DeflateLibrary.SystemZlib)),   // qemu's Z_DEFAULT_COMPRESSION
    ("zlib-4K level 1", new DeflateClusterCompressor(1, DeflateLibrary.SystemZlib)),
    ("zlib-ng-4K level 6", new DeflateClusterCompressor(6, DeflateLibrary.RuntimeZlibNg)),
    ("zlib-ng-4K level 9", new DeflateClusterCompressor(9, DeflateLibrary.RuntimeZlibNg)),
    ("zlib-ng-4K default", new DeflateClusterCompressor(-1, DeflateLibrary.RuntimeZlibNg)), // 6, then 9 where 6 left > half
    ("zstd level 3", new ZstdClusterCompressor()),            // qemu's default context
};
foreach (var (name, codec) in codecs)
    foreach (int t in threads > 1 ? new[] { 1, threads } : [1])
        Run(name, codec, t);
if (Environment.GetEnvironmentVariable("BENCH_CODECS_ONLY") == "1") return;

Directory.CreateDirectory(work);
try
{
    string raw = Path.Combine(work, "src.raw");
    File.WriteAllBytes(raw, data);
    foreach (string type in new[] { "zlib", "zstd" })
    {
        string q = Path.Combine(work, $"{type}.qcow2");
        double c = Time("qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", "-o", $"cluster_size={clusterSize},compression_type={type}", raw, q);
        long size = new FileInfo(q).Length;
        string back = Path.Combine(work, "back.raw");
        double d = Time("qemu-img", "convert", "-f", "qcow2", "-O", "raw", q, back);
        File.Delete(back);
        File.Delete(q);
        Console.WriteLine($"{"qemu-img " + type,-22} {"pool",7} {(double)size / data.Length,7:F3} {"",8} {data.Length / 1e6 / c,14:F1} {data.Length / 1e6 / d,16:F1}   (wall {c:F2} s / {d:F2} s, convert incl. I/O)");
    }
}
finally
{
    Directory.Delete(work, true);
}

void Run(string name, ClusterCompressor codec, int t)
{
    var outs = new byte[clusters][];
    var lens = new int[clusters];
    var po = new ParallelOptions { MaxDegreeOfParallelism = t };
    codec.Compress(data.AsSpan(0, clusterSize), new byte[clusterSize]); // warm-up
    var sw = Stopwatch.StartNew();
    Parallel.For(0, clusters, po, () => new byte[clusterSize], (i, _, buf) =>
    {
        int n = codec.Compress(data.AsSpan(i * clusterSize, clusterSize), buf);
        lens[i] = n;
        if (n > 0) outs[i] = buf.AsSpan(0, n).ToArray();
        return buf;
    }, _ => { });
    double ct = sw.Elapsed.TotalSeconds;
    long total = 0;
    int stored = 0;
    for (int i = 0; i < clusters; i++) { if (lens[i] > 0) total += lens[i]; else { total += clusterSize; stored++; } }
    sw.Restart();
    int bad = 0;
    Parallel.For(0, clusters, po, () => new byte[clusterSize], (i, _, buf) =>
    {
        if (lens[i] > 0 && !codec.TryDecompress(outs[i], buf)) Interlocked.Increment(ref bad);
        return buf;
    }, _ => { });
    double dt = sw.Elapsed.TotalSeconds;
    long decompressedBytes = (long)(clusters - stored) * clusterSize;
    if (bad > 0) throw new InvalidOperationException($"{name}: {bad} clusters failed to decompress");
    Console.WriteLine($"{name,-22} {t,7} {(double)total / data.Length,7:F3} {stored,8} {data.Length / 1e6 / ct,14:F1} {decompressedBytes / 1e6 / dt,16:F1}");
}

static double Time(string exe, params string[] a)
{
    var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardError = true };
    foreach (var x in a) psi.ArgumentList.Add(x);
    var sw = Stopwatch.StartNew();
    using var p = Process.Start(psi)!;
    string err = p.StandardError.ReadToEnd();
    p.WaitForExit();
    if (p.ExitCode != 0) throw new InvalidOperationException($"{exe} failed: {err}");
    return sw.Elapsed.TotalSeconds;
}

static byte[] NonZeroClusters(string path, long length, int clusterSize)
{
    using var fs = File.OpenRead(path);
    var result = new MemoryStream();
    var cluster = new byte[clusterSize];
    while (result.Length < length && fs.ReadAtLeast(cluster, clusterSize, throwOnEndOfStream: false) == clusterSize)
        if (cluster.AsSpan().ContainsAnyExcept((byte)0)) result.Write(cluster);
    return result.ToArray();
}

static byte[] RealData(long length, int clusterSize)
{
    length -= length % clusterSize;
    var result = new byte[length];
    long filled = 0;
    var opts = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
    var files = Directory.EnumerateFiles("/usr/lib", "*", opts).Order(StringComparer.Ordinal);
    while (filled < length)
    {
        long before = filled;
        foreach (string f in files)
        {
            try
            {
                using var fs = File.OpenRead(f);
                int n;
                while (filled < length && (n = fs.Read(result, (int)filled, (int)Math.Min(length - filled, 1 << 20))) > 0) filled += n;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            if (filled == length) break;
        }
        if (filled == before) throw new InvalidOperationException("no readable files under /usr/lib");
    }
    return result;
}
