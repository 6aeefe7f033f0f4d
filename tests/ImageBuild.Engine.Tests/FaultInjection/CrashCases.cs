using System.Buffers.Binary;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.FaultInjection;

/// <summary>
/// The write paths under fault injection, each on a case small enough that trying every crash point stays cheap
/// (512 B to 4 KiB clusters, images of 64-192 KiB). A new writable format joins by adding its cases here.
/// </summary>
public static class CrashCases
{
    private const string Q = "qcow2";

    public static IReadOnlyList<CrashCase> All { get; } =
    [
        new("convert-qcow2", dir => Raw(dir, "src.raw"),
            (ctx, dir) => ImageConverter.Convert(ctx, Convert(dir, compress: false)),
            new ImageRule("out.qcow2", ViewRule.ConsistentOnly, CreatedByOperation: true)) { CreateStep = (ctx, dir) => CreateOutput(ctx, dir, "1024") },
        new("convert-compressed", dir => Raw(dir, "src.raw"),
            (ctx, dir) => ImageConverter.Convert(ctx, Convert(dir, compress: true)),
            new ImageRule("out.qcow2", ViewRule.ConsistentOnly, CreatedByOperation: true)) { CreateStep = (ctx, dir) => CreateOutput(ctx, dir, "4096") },
        new("commit", dir =>
            {
                Img(dir, "create", "-f", Q, "-o", "cluster_size=1k", "base.qcow2", "64k");
                Io(dir, "base.qcow2", "write -P 0x11 0 16k");
                Img(dir, "create", "-f", Q, "-o", "cluster_size=1k", "-b", "base.qcow2", "-F", Q, "top.qcow2");
                Io(dir, "top.qcow2", "write -P 0x22 8k 16k", "write -z 40k 2k", "write -P 0x23 60k 3k");
            },
            (ctx, dir) => ImageCommitter.Commit(ctx, new CommitRequest { Filename = Path.Combine(dir, "top.qcow2"), Format = Q }),
            new ImageRule("top.qcow2", ViewRule.Unchanged), new ImageRule("base.qcow2", ViewRule.ConsistentOnly)),
        new("rebase-safe", dir =>
            {
                Img(dir, "create", "-f", Q, "-o", "cluster_size=1k", "base1.qcow2", "64k");
                Io(dir, "base1.qcow2", "write -P 0x11 0 32k");
                Img(dir, "create", "-f", Q, "-o", "cluster_size=1k", "base2.qcow2", "64k");
                Io(dir, "base2.qcow2", "write -P 0x33 16k 32k");
                Img(dir, "create", "-f", Q, "-o", "cluster_size=1k", "-b", "base1.qcow2", "-F", Q, "top.qcow2");
                Io(dir, "top.qcow2", "write -P 0x22 4k 4k");
            },
            (ctx, dir) => ImageRebaser.Rebase(ctx, new RebaseRequest { Filename = Path.Combine(dir, "top.qcow2"), Format = Q, BackingFile = "base2.qcow2", BackingFormat = Q }),
            new ImageRule("top.qcow2", ViewRule.Unchanged)),
        new("snapshot-create", dir => Data(dir, "img.qcow2", "cluster_size=512"),
            (ctx, dir) => Snapshot(ctx, dir, SnapshotAction.Create, "s1"),
            new ImageRule("img.qcow2", ViewRule.Unchanged)) { CopiedFlagWindow = true },
        new("snapshot-apply", dir =>
            {
                Data(dir, "img.qcow2", "cluster_size=512");
                Img(dir, "snapshot", "-c", "s1", "img.qcow2");
                Io(dir, "img.qcow2", "write -P 0x44 2k 6k", "write -z 30k 2k");
            },
            (ctx, dir) => Snapshot(ctx, dir, SnapshotAction.Apply, "s1"),
            new ImageRule("img.qcow2", ViewRule.BeforeOrAfter)) { CopiedFlagWindow = true },
        new("snapshot-delete", dir =>
            {
                Data(dir, "img.qcow2", "cluster_size=512");
                Img(dir, "snapshot", "-c", "s1", "img.qcow2");
                Io(dir, "img.qcow2", "write -P 0x44 2k 6k");
                Img(dir, "snapshot", "-c", "s2", "img.qcow2");
            },
            (ctx, dir) => Snapshot(ctx, dir, SnapshotAction.Delete, "s1"),
            new ImageRule("img.qcow2", ViewRule.Unchanged)),
        new("amend-compat", dir => Data(dir, "img.qcow2", "cluster_size=1k"),
            (ctx, dir) => Amend(ctx, dir, "compat", "0.10"),
            new ImageRule("img.qcow2", ViewRule.Unchanged)),
        new("amend-refcount-bits", dir => Data(dir, "img.qcow2", "cluster_size=1k"),
            (ctx, dir) => Amend(ctx, dir, "refcount_bits", "4"),
            new ImageRule("img.qcow2", ViewRule.Unchanged)),
        new("resize-grow", dir => Data(dir, "img.qcow2", "cluster_size=512"),
            (ctx, dir) => Resize(ctx, dir, "192k", shrink: false),
            new ImageRule("img.qcow2", ViewRule.PrefixUnchanged, PrefixBytes: 64 * 1024)),
        new("resize-shrink", dir => Data(dir, "img.qcow2", "cluster_size=512"),
            (ctx, dir) => Resize(ctx, dir, "24k", shrink: true),
            new ImageRule("img.qcow2", ViewRule.PrefixUnchanged, PrefixBytes: 24 * 1024)),
        new("bitmap-add-merge", dir =>
            {
                Data(dir, "img.qcow2", "cluster_size=1k");
                Img(dir, "bitmap", "--add", "img.qcow2", "b0");
            },
            (ctx, dir) => Bitmap(ctx, dir, "b1", new BitmapStep(BitmapAction.Add), new BitmapStep(BitmapAction.Merge, "b0")),
            new ImageRule("img.qcow2", ViewRule.Unchanged)),
        new("bitmap-clear", dir =>
            {
                Data(dir, "img.qcow2", "cluster_size=1k");
                Img(dir, "bitmap", "--add", "img.qcow2", "b0");
            },
            (ctx, dir) => Bitmap(ctx, dir, "b0", new BitmapStep(BitmapAction.Clear)),
            new ImageRule("img.qcow2", ViewRule.Unchanged)),
        new("check-repair-leaks", dir =>
            {
                Data(dir, "img.qcow2", "cluster_size=1k");
                LeakClusters(Path.Combine(dir, "img.qcow2"), 3);
            },
            (ctx, dir) =>
            {
                using var dev = ImageOpener.Open(ctx, Path.Combine(dir, "img.qcow2"), new OpenOptions { Format = Q, Writable = true, ForCheck = true });
                ImageChecker.Check(dev, Info.CheckRepair.All, new NullCheckLog());
            },
            new ImageRule("img.qcow2", ViewRule.Unchanged)),
    ];

    private sealed class NullCheckLog : Info.ICheckLog
    {
        public void Message(string line) { }
    }

    private static ConvertRequest Convert(string dir, bool compress) => new()
    {
        Sources = [Path.Combine(dir, "src.raw")],
        SourceFormat = "raw",
        OutputFilename = Path.Combine(dir, "out.qcow2"),
        OutputFormat = Q,
        TargetOptions = [new("cluster_size", compress ? "4096" : "1024")],
        Compress = compress,
        Parallel = 1,
        TargetCacheUnsafe = false,
        Quiet = true,
    };

    /// <summary>The create step of the convert cases on its own (same format and options).</summary>
    private static void CreateOutput(ImageContext ctx, string dir, string clusterSize) =>
        ImageCreator.Create(ctx, new CreateImageRequest
        {
            Filename = Path.Combine(dir, "out.qcow2"),
            Format = Q,
            Size = 64 * 1024,
            Options = [new("cluster_size", clusterSize)],
        }, null);

    private static void Snapshot(ImageContext ctx, string dir, SnapshotAction action, string name) =>
        ImageSnapshotter.Run(ctx, new SnapshotRequest
        {
            Filename = Path.Combine(dir, "img.qcow2"),
            Action = action,
            Snapshot = name,
            Date = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero),
        });

    private static void Amend(ImageContext ctx, string dir, string option, string value) =>
        ImageAmender.Amend(ctx, new AmendRequest { Filename = Path.Combine(dir, "img.qcow2"), Format = Q, Options = [new(option, value)] });

    private static void Resize(ImageContext ctx, string dir, string size, bool shrink) =>
        ImageResizer.Resize(ctx, new ResizeRequest { Filename = Path.Combine(dir, "img.qcow2"), Format = Q, Size = size, Shrink = shrink });

    private static void Bitmap(ImageContext ctx, string dir, string name, params BitmapStep[] steps) =>
        ImageBitmapEditor.Run(ctx, new BitmapRequest { Filename = Path.Combine(dir, "img.qcow2"), Format = Q, Bitmap = name, Steps = steps });

    /// <summary>A 64 KiB qcow2 with data, zeroes and a discarded range, made by qemu.</summary>
    private static void Data(string dir, string name, string options)
    {
        Img(dir, "create", "-f", Q, "-o", options, name, "64k");
        Io(dir, name, "write -P 0x11 0 12k", "write -P 0x12 20k 5k", "write -z 28k 4k", "write -P 0x13 48k 8k", "discard 50k 2k");
    }

    /// <summary>A 64 KiB raw file: patterned data, a hole, more data (so convert has zero and data runs).</summary>
    private static void Raw(string dir, string name)
    {
        var b = new byte[64 * 1024];
        for (int i = 0; i < 24 * 1024; i++) b[i] = (byte)(i * 7 + (i >> 9));
        b.AsSpan(40 * 1024, 8 * 1024).Fill(0x5A);
        File.WriteAllBytes(Path.Combine(dir, name), b);
    }

    /// <summary>
    /// Leaks <paramref name="count"/> clusters: gives them refcount 1 in the first refcount block (16-bit entries) and
    /// extends the file over them, without any reference (qemu-img check: leaked clusters).
    /// </summary>
    private static void LeakClusters(string path, int count)
    {
        byte[] f = File.ReadAllBytes(path);
        int clusterBits = (int)BinaryPrimitives.ReadUInt32BigEndian(f.AsSpan(20));
        long cs = 1L << clusterBits;
        long reftable = (long)BinaryPrimitives.ReadUInt64BigEndian(f.AsSpan(48));
        long refblock = (long)BinaryPrimitives.ReadUInt64BigEndian(f.AsSpan((int)reftable));
        long first = (f.Length + cs - 1) / cs;
        Array.Resize(ref f, (int)((first + count) * cs));
        for (int i = 0; i < count; i++)
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan((int)(refblock + 2 * (first + i))), 1);
        File.WriteAllBytes(path, f);
    }

    public static void Img(string dir, params string[] args)
    {
        var r = QemuOracle.Run(QemuOracle.QemuImg, args, dir);
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"qemu-img {string.Join(' ', args)}: {r.StdErr}");
    }

    private static void Io(string dir, string image, params string[] commands)
    {
        var args = new List<string> { "-f", Q };
        foreach (string c in commands) { args.Add("-c"); args.Add(c); }
        args.Add(image);
        var r = QemuOracle.Run(QemuOracle.QemuIo, args, dir);
        if (r.ExitCode != 0 || r.StdOut.Contains("error", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"qemu-io {string.Join(' ', args)}: {r.StdErr}{r.StdOut}");
    }
}
