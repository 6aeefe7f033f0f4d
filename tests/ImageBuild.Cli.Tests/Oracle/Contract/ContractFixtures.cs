using System.Text.Json.Nodes;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.Tests.Oracle.Contract;

/// <summary>Images the contract cases start from, all made by qemu-img and qemu-io.</summary>
internal static class ContractFixtures
{
    /// <summary>Virtual size of the qemu-io filled images (a multiple of every cluster and block size the rows use).</summary>
    public const string FilledSize = "8M";

    /// <summary>Size of a created image and of a backing file made for create -b.</summary>
    public const string CreateSize = "16M";

    /// <summary>Virtual size of the realistic raw source of the convert-into cases.</summary>
    public const long SourceSize = 64L << 20;

    private const string PatternFile = "pattern.bin";

    /// <summary>
    /// The qemu-io commands of a filled image: patterns, zeroes over data and over holes, a discard inside data,
    /// writes of part of a cluster and of 7 unaligned bytes, the last 4 KiB.
    /// </summary>
    public static readonly string[] FillCommands =
    [
        "write -q -P 0x11 0 1M",
        "write -q -P 0x22 1200k 5k",
        "write -q -P 0x23 2047k 3k",
        "write -q -z 256k 128k",
        "write -q -z 5M 1M",
        "discard -q 512k 64k",
        "write -q -P 0x44 8188k 4k",
        "write -q -P 0x45 3000001 7",
    ];

    /// <summary>`-o OPTIONS`, or nothing for the defaults.</summary>
    public static string[] OptionArgs(string options) => options.Length == 0 ? [] : ["-o", options];

    /// <summary>
    /// qemu-img creates <paramref name="name"/> in <paramref name="dir"/> (8 MiB, <paramref name="options"/>, over
    /// <paramref name="backing"/> when given) and qemu-io writes patterns, zeroes over data and over holes, a discard
    /// inside data, writes of part of a cluster and of 7 unaligned bytes, the last 4 KiB, and one compressed cluster
    /// where the format has compressed writes (and the image is not preallocated).
    /// </summary>
    public static void MakeFilledImage(FormatProfile p, string dir, string name, string options, string? backing = null)
    {
        string fmt = p.Name;
        // an overlay takes its size from the backing file
        string[] layout = backing is null ? [name, FilledSize] : ["-b", backing, "-F", fmt, name];
        ToolUnderTest.QemuOk(dir, ["create", "-q", "-f", fmt, .. OptionArgs(options), .. layout]);
        Io(dir, fmt, name, FillCommands);
        // a compressed cluster cannot replace a preallocated one
        if (p.Has(QemuOps.CompressedWrites) && !options.Contains("preallocation=", StringComparison.Ordinal))
        {
            long cluster = ClusterSize(dir, fmt, name);
            File.WriteAllBytes(Path.Combine(dir, PatternFile), OracleFixtures.MixedContent((int)cluster, 21));
            Io(dir, fmt, name, $"write -q -c -s {PatternFile} 6M {cluster}");
        }
    }

    /// <summary>base.EXT with data in its first half and last quarter, and <paramref name="name"/> over it, filled.</summary>
    public static void MakeFilledOverlay(FormatProfile p, string dir, string name)
    {
        string baseName = "base." + p.Extension;
        ToolUnderTest.QemuOk(dir, "create", "-q", "-f", p.Name, baseName, FilledSize);
        Io(dir, p.Name, baseName, "write -q -P 0x51 0 4M", "write -q -P 0x52 6M 2M");
        MakeFilledImage(p, dir, name, "", backing: baseName);
    }

    /// <summary>
    /// A sparse 64 MiB raw disk with data where a partition table, file system metadata and files would be: runs of
    /// incompressible and repetitive bytes, zero runs inside the data (aligned and not), data ending mid-cluster.
    /// </summary>
    public static void WriteRealisticSource(string path)
    {
        OracleFixtures.WriteSparseRaw(path, SourceSize,
            (0, 300_000), (1L << 20, 3 * 65536 + 100), (5L << 20, 1 << 20), (17L << 20, 4096),
            (33L << 20, 2 << 20), (48L << 20, 777), (63L << 20, 1 << 20));
        OracleFixtures.Patch(path, (5L << 20) + 65536, new byte[65536]);
        OracleFixtures.Patch(path, (5L << 20) + 200_000, new byte[4096]);
        OracleFixtures.Patch(path, (33L << 20) + 12_345, new byte[1000]);
    }

    /// <summary>
    /// qemu-io with each command as one -c, failing on any reported error; with cache=unsafe, as the flushes of
    /// drivers that sync every table update (qcow) make fixtures slow and change nothing in the result.
    /// </summary>
    public static void Io(string dir, string fmt, string name, params string[] commands)
    {
        var args = new List<string> { "-t", "unsafe", "-f", fmt };
        foreach (var c in commands) { args.Add("-c"); args.Add(c); }
        args.Add(name);
        var r = QemuOracle.Run(QemuOracle.QemuIo, args, dir);
        if (r.ExitCode != 0 || r.StdErr.Length > 0 || r.StdOut.Contains("failed", StringComparison.OrdinalIgnoreCase))
            throw new AssertFailedException($"fixture: qemu-io {string.Join(' ', args)} exited {r.ExitCode}: {r.StdErr}{r.StdOut}");
    }

    /// <summary>The cluster size qemu-img info reports for an image.</summary>
    public static long ClusterSize(string dir, string fmt, string name) =>
        JsonNode.Parse(ToolUnderTest.QemuOk(dir, "info", "-f", fmt, "--output=json", name))!["cluster-size"]?.GetValue<long>()
        ?? throw new AssertFailedException($"fixture: qemu-img info of {name} has no cluster size");
}
