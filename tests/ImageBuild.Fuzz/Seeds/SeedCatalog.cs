using System.Diagnostics;

namespace ImageBuild.Fuzz;

/// <summary>
/// The qcow2 seed images, each made by qemu-img/qemu-io from a list of commands run in a directory that holds
/// base.raw and data.raw (as <see cref="Scratch"/> lays them): small cluster sizes, v2 and v3, refcount widths,
/// compressed clusters (zlib, zstd), snapshots, bitmaps, a backing file, extended L2, an external data file.
/// The fuzz seeds and the regression files (a seed name plus byte patches) are both made from this list.
/// </summary>
public static class SeedCatalog
{
    /// <summary>A seed: its name (the file is NAME.qcow2) and the commands, each "qemu-img ARGS" or "qemu-io ARGS".</summary>
    public sealed record Seed(string Name, params string[][] Commands)
    {
        public string FileName => Name + ".qcow2";
    }

    private static string[] Img(params string[] a) => ["qemu-img", .. a];

    private static string[] Io(string file, params string[] cmds) =>
        ["qemu-io", "-f", "qcow2", .. cmds.SelectMany(c => new[] { "-c", c }), file];

    public static IReadOnlyList<Seed> All { get; } =
    [
        new("c512-v3", Img("create", "-f", "qcow2", "-o", "cluster_size=512", "c512-v3.qcow2", "256K"),
            Io("c512-v3.qcow2", "write -P 0x41 0 4k", "write -P 0x42 100k 1k", "write -z 200k 4k")),
        new("c1k-v2", Img("create", "-f", "qcow2", "-o", "cluster_size=1k,compat=0.10", "c1k-v2.qcow2", "512K"),
            Io("c1k-v2.qcow2", "write -P 0x43 0 3k", "write -P 0x44 300k 2k")),
        new("c4k-rc1", Img("create", "-f", "qcow2", "-o", "cluster_size=4k,refcount_bits=1", "c4k-rc1.qcow2", "1M"),
            Io("c4k-rc1.qcow2", "write -P 0x45 8k 8k")),
        new("c2k-rc64", Img("create", "-f", "qcow2", "-o", "cluster_size=2k,refcount_bits=64,lazy_refcounts=on", "c2k-rc64.qcow2", "256K"),
            Io("c2k-rc64.qcow2", "write -P 0x46 0 6k", "discard 2k 2k")),
        new("compressed-zlib", Img("convert", "-c", "-O", "qcow2", "-o", "cluster_size=4k", "pattern.raw", "compressed-zlib.qcow2")),
        new("compressed-zstd", Img("convert", "-c", "-O", "qcow2", "-o", "cluster_size=4k,compression_type=zstd", "pattern.raw", "compressed-zstd.qcow2")),
        new("snapshots", Img("create", "-f", "qcow2", "-o", "cluster_size=1k", "snapshots.qcow2", "128K"),
            Io("snapshots.qcow2", "write -P 0x47 0 4k"), Img("snapshot", "-c", "s1", "snapshots.qcow2"),
            Io("snapshots.qcow2", "write -P 0x48 2k 4k"), Img("snapshot", "-c", "s2", "snapshots.qcow2")),
        new("bitmaps", Img("create", "-f", "qcow2", "-o", "cluster_size=1k", "bitmaps.qcow2", "256K"),
            Io("bitmaps.qcow2", "write -P 0x49 0 8k"), Img("bitmap", "--add", "bitmaps.qcow2", "b0"),
            Img("bitmap", "--add", "-g", "64k", "bitmaps.qcow2", "b1"), Img("bitmap", "--disable", "bitmaps.qcow2", "b1")),
        new("backing", Img("create", "-f", "qcow2", "-o", "cluster_size=512", "-b", "base.raw", "-F", "raw", "backing.qcow2", "64K"),
            Io("backing.qcow2", "write -P 0x4a 1k 1k")),
        new("extl2", Img("create", "-f", "qcow2", "-o", "cluster_size=16k,extended_l2=on", "extl2.qcow2", "256K"),
            Io("extl2.qcow2", "write -P 0x4b 1k 2k", "write -z 40k 8k")),
        new("data-file", Img("create", "-f", "qcow2", "-o", "cluster_size=1k,data_file=data.raw", "data-file.qcow2", "64K"),
            Io("data-file.qcow2", "write -P 0x4c 0 2k")),
        new("data-file-raw", Img("create", "-f", "qcow2", "-o", "cluster_size=1k,data_file=data.raw,data_file_raw=on", "data-file-raw.qcow2", "64K")),
    ];

    public static Seed Find(string name) =>
        All.FirstOrDefault(s => s.Name == name) ?? throw new ArgumentException($"no seed '{name}'");

    /// <summary>
    /// Makes <paramref name="seed"/> in <paramref name="dir"/> and returns its bytes; base.raw and data.raw are laid
    /// before and anew after (data-file seeds write into data.raw), pattern.raw is the source of the compressed seeds.
    /// </summary>
    public static byte[] Make(Seed seed, string dir)
    {
        Scratch.LayAuxiliaryFiles(dir);
        WritePattern(Path.Combine(dir, "pattern.raw"));
        string target = Path.Combine(dir, seed.FileName);
        File.Delete(target);
        foreach (string[] command in seed.Commands)
        {
            var psi = new ProcessStartInfo(command[0]) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in command[1..]) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot run {command[0]}");
            var stdout = p.StandardOutput.ReadToEndAsync();
            string stderr = p.StandardError.ReadToEnd();
            stdout.Wait();
            p.WaitForExit();
            if (p.ExitCode != 0)
                throw new InvalidOperationException($"{string.Join(' ', command)}: {stderr}");
        }
        byte[] bytes = File.ReadAllBytes(target);
        Scratch.LayAuxiliaryFiles(dir);
        return bytes;
    }

    /// <summary>16 KiB of text (compresses well) then 8 KiB of zeros.</summary>
    private static void WritePattern(string path)
    {
        var text = new System.Text.StringBuilder();
        for (int i = 1; text.Length < 16384; i++) text.Append(i).Append('\n');
        byte[] b = new byte[24 * 1024];
        System.Text.Encoding.ASCII.GetBytes(text.ToString(0, 16384), b);
        File.WriteAllBytes(path, b);
    }
}
