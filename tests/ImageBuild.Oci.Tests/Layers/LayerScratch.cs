using System.Diagnostics;
using ImageBuild.Oci.Layers;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Oci.Tests.Layers;

/// <summary>A fresh temporary directory for one test, with helpers to make files and layers in it; deleted on dispose.</summary>
internal sealed class LayerScratch : IDisposable
{
    public LayerScratch()
    {
        Dir = Path.Combine(Path.GetTempPath(), "ib-layer-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Dir);
    }

    public string Dir { get; }

    public string PathOf(string name) => Path.Combine(Dir, name);

    /// <summary>A file of <paramref name="size"/> bytes, holes everywhere but the given pieces.</summary>
    public string SparseFile(string name, long size, params (long Offset, byte[] Bytes)[] pieces)
    {
        string path = PathOf(name);
        using var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        fs.SetLength(size);
        foreach (var (offset, bytes) in pieces)
        {
            fs.Position = offset;
            fs.Write(bytes);
        }
        return path;
    }

    /// <summary>The same content as <see cref="SparseFile"/> but every byte written (zeros included): no holes.</summary>
    public string DenseFile(string name, long size, params (long Offset, byte[] Bytes)[] pieces)
    {
        string path = PathOf(name);
        byte[] content = new byte[size];
        foreach (var (offset, bytes) in pieces) bytes.CopyTo(content, offset);
        File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>Encodes the file as a layer file next to it; returns the layer's path and the write result.</summary>
    public (string Layer, LayerWriteResult Result) Encode(string source, string entryName, string layerName = "layer.tar.zst")
    {
        string layer = PathOf(layerName);
        using var output = new FileStream(layer, FileMode.CreateNew, FileAccess.Write);
        return (layer, SparseFileLayer.Write(source, entryName, output, CancellationToken.None));
    }

    public string Extract(string layer, string destinationName, long maxFileSize = long.MaxValue)
    {
        using var input = File.OpenRead(layer);
        return SparseFileLayer.Extract(input, PathOf(destinationName), maxFileSize, CancellationToken.None);
    }

    /// <summary>Bytes the file occupies on disk (st_blocks × 512), from du.</summary>
    public static long AllocatedBytes(string path)
    {
        var r = QemuOracle.Run(ExternalTools.Find("du"), ["--block-size=1", path]);
        if (r.ExitCode != 0) throw new AssertFailedException("du failed: " + r.StdErr);
        return long.Parse(r.StdOut.Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Compares two files in 1 MiB pieces.</summary>
    public static void AssertSameBytes(string expected, string actual)
    {
        using var a = File.OpenRead(expected);
        using var b = File.OpenRead(actual);
        Assert.AreEqual(a.Length, b.Length, "file length");
        byte[] ba = new byte[1 << 20], bb = new byte[1 << 20];
        long pos = 0;
        int n;
        while ((n = a.ReadAtLeast(ba, ba.Length, throwOnEndOfStream: false)) > 0)
        {
            b.ReadExactly(bb, 0, n);
            int diff = ba.AsSpan(0, n).CommonPrefixLength(bb.AsSpan(0, n));
            if (diff < n) Assert.Fail($"files differ at byte {pos + diff}");
            pos += n;
        }
    }

    /// <summary>The decompressed tar of a layer file.</summary>
    public static byte[] Tar(string layer)
    {
        using var input = File.OpenRead(layer);
        using var zstd = new ZstdSharp.DecompressionStream(input);
        var ms = new MemoryStream();
        zstd.CopyTo(ms);
        return ms.ToArray();
    }

    public static byte[] Random(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        for (int i = 0; i < bytes.Length; i++) if (bytes[i] == 0) bytes[i] = 1;
        return bytes;
    }

    public static long Time(Action action)
    {
        var sw = Stopwatch.StartNew();
        action();
        return sw.ElapsedMilliseconds;
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
