using System.Text;
using ImageBuild.Engine.Block;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Packaging.Tests.Ovf;

/// <summary>
/// A source image made by the real qemu-img and qemu-io (a 16 MiB qcow2 with 5 MiB of data at its start, middle and end),
/// a packaging context with a reproducible identity and its own scratch directory, and helpers to read what tar
/// members say. Used by the OVA and Vagrant tests.
/// </summary>
internal sealed class PackageFixture : IDisposable
{
    public const long Mtime = 1_700_000_000;
    public const long SourceSize = 16L << 20;

    private readonly TempDir _dir = new();

    public PackageFixture()
    {
        Directory.CreateDirectory(ScratchDir);
        Tools.Ok("qemu-img", Dir, "create", "-q", "-f", "qcow2", Source, SourceSize.ToString());
        Tools.Ok("qemu-io", Dir, "-c", "write -P 0xab 0 1M", "-c", "write -P 0x5c 8M 3M", "-c", "write -P 0x01 15M 1M", Source);
    }

    public string Dir => _dir.Path;

    public string Source => _dir["source.qcow2"];

    public string ScratchDir => _dir["scratch"];

    public string this[string name] => _dir[name];

    /// <summary>
    /// A context whose scratch is <paramref name="scratchDir"/> (default: <see cref="ScratchDir"/>), where names get
    /// <paramref name="prefix"/> in front (as a host's scratch mapping may do).
    /// </summary>
    public PackageContext Context(string? scratchDir = null, Action<double>? progress = null, string prefix = "") => new()
    {
        Engine = ImageContext.CreateDefault().WithIdentity(IdentitySource.Reproducible("ova-test", DateTimeOffset.FromUnixTimeSeconds(Mtime))),
        MtimeSeconds = Mtime,
        Scratch = name => Path.Combine(scratchDir ?? ScratchDir, prefix + name),
        Progress = progress,
    };

    /// <summary>Extracts <paramref name="archive"/> with GNU tar into a new directory and returns it.</summary>
    public string Extract(string archive, string into, params string[] extra)
    {
        string dest = _dir[into];
        Directory.CreateDirectory(dest);
        Tools.Ok("tar", dest, ["-xf", archive, .. extra]);
        return dest;
    }

    /// <summary>The member names GNU tar lists, in archive order.</summary>
    public IReadOnlyList<string> List(string archive, params string[] extra) =>
        Tools.Ok("tar", Dir, ["-tf", archive, .. extra]).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The raw ustar headers of the uncompressed <paramref name="archive"/>, in order.</summary>
    public static IReadOnlyList<RawTarHeader> Headers(Stream archive)
    {
        var headers = new List<RawTarHeader>();
        byte[] block = new byte[512];
        while (true)
        {
            archive.ReadExactly(block);
            if (block.All(b => b == 0))
                return headers;
            var h = new RawTarHeader(
                Field(block, 0, 100), Field(block, 100, 8), Field(block, 108, 8), Field(block, 116, 8),
                Convert.ToInt64(Field(block, 124, 12), 8), Convert.ToInt64(Field(block, 136, 12), 8),
                (char)block[156], Encoding.ASCII.GetString(block, 257, 8), Field(block, 265, 32), Field(block, 297, 32));
            headers.Add(h);
            archive.Seek((h.Size + 511) / 512 * 512, SeekOrigin.Current);
        }
    }

    private static string Field(byte[] block, int offset, int length)
    {
        var span = block.AsSpan(offset, length);
        int end = span.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? span : span[..end]).Trim(' ');
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>The fields of a ustar header a test checks (text fields as written, NUL and space trimmed).</summary>
internal sealed record RawTarHeader(string Name, string Mode, string Uid, string Gid, long Size, long Mtime, char Type, string MagicVersion, string UserName, string GroupName);
