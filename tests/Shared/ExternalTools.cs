namespace ImageBuild.Tests.Shared;

/// <summary>
/// Programs besides qemu that make images qemu-img reads but cannot create: bximage (bochs) and
/// create_compressed_fs (cloop, from cloop-utils). Both are installed by .ci/run.
/// </summary>
public static class ExternalTools
{
    public const string Bximage = "bximage";
    public const string CreateCompressedFs = "create_compressed_fs";

    /// <summary>The tool's full path, or null when it is not on PATH.</summary>
    public static string? TryFind(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            string p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    /// <summary>The tool's full path; fails the test when it is missing.</summary>
    public static string Find(string name) => TryFind(name)
        ?? throw new AssertFailedException($"{name} is not installed (.ci/run installs it: apt-get install -y {Package(name)})");

    /// <summary>Runs the tool and fails the test unless it exits 0.</summary>
    public static ProcessResult RunOk(string name, string workingDirectory, params string[] args)
    {
        var r = QemuOracle.Run(Find(name), args, workingDirectory);
        if (r.ExitCode != 0)
            throw new AssertFailedException($"{name} {string.Join(' ', args)} exited {r.ExitCode}: {r.StdErr}{r.StdOut}");
        return r;
    }

    /// <summary>
    /// create_compressed_fs with <paramref name="blockSize"/>-byte blocks: the raw file (its length a multiple of the
    /// block size) as a cloop V2.0 image.
    /// </summary>
    public static void MakeCloop(string rawPath, string cloopPath, int blockSize = 65536) =>
        RunOk(CreateCompressedFs, Path.GetDirectoryName(Path.GetFullPath(cloopPath))!, "-q", "-B", blockSize.ToString(), rawPath, cloopPath);

    private static string Package(string name) => name switch
    {
        Bximage => "bximage",
        CreateCompressedFs => "cloop-utils",
        "xz" => "xz-utils",
        "xmllint" => "libxml2-utils",
        "sha256sum" or "sha1sum" or "sha512sum" => "coreutils",
        "fsck.vfat" or "mkfs.vfat" => "dosfstools",
        "mdir" or "mcopy" or "minfo" or "mattrib" => "mtools",
        "sgdisk" => "gdisk",
        "sfdisk" => "fdisk",
        "isoinfo" => "genisoimage",
        "osirrox" => "xorriso",
        "blkid" => "util-linux",
        "mke2fs" or "e2fsck" or "debugfs" => "e2fsprogs",
        _ => name, // zstd, gzip, tar, pigz: the package has the tool's name
    };
}

/// <summary>
/// Runs the test only where the named tool is installed, or always when IMAGEBUILD_REQUIRE_ORACLE=1 (CI), where a
/// missing tool then fails the test.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = true)]
public sealed class RequiresToolAttribute : ConditionBaseAttribute
{
    private readonly string _tool;

    public RequiresToolAttribute(string tool) : base(ConditionMode.Include)
    {
        _tool = tool;
        IgnoreMessage = $"{tool} is not installed (.ci/run installs it)";
    }

    public override bool IsConditionMet => QemuOracle.Required || ExternalTools.TryFind(_tool) is not null;

    public override string GroupName => nameof(RequiresToolAttribute) + ":" + _tool;
}
