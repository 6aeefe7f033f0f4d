using System.Buffers.Binary;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using static ImageBuild.Tests.Shared.ImageFilePatch;
using static ImageBuild.Tests.Shared.BigEndianFields;

namespace ImageBuild.Engine.Tests.Vpc;

/// <summary>Making, patching and opening VHDs in tests; field offsets from the VHD specification.</summary>
internal static class VpcTestSupport
{
    public const int MiB = 1 << 20;

    // footer (spec "Hard Disk Footer Format")
    public const int FooterDataOffset = 16, FooterCreatorApp = 28, FooterCurrentSize = 48, FooterGeometry = 56,
        FooterDiskType = 60, FooterChecksum = 64, FooterUniqueId = 68;

    // dynamic disk header, relative to its offset (spec "Dynamic Disk Header Format")
    public const int HeaderTableOffset = 16, HeaderMaxTableEntries = 28, HeaderBlockSize = 32, HeaderChecksum = 36,
        HeaderParentUniqueId = 40, HeaderParentName = 64, HeaderLocators = 576;

    public static ImageContext Ctx(Host.IHostFileFaults? faults = null) => new(FormatRegistry.CreateDefault()) { HostFaults = faults };

    public static void Create(string path, long size, string options = "", string? backing = null, ImageContext? ctx = null)
    {
        var opts = new List<KeyValuePair<string, string>>();
        foreach (string o in options.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = o.IndexOf('=');
            opts.Add(new(o[..eq], o[(eq + 1)..]));
        }
        ImageCreator.Create(ctx ?? Ctx(), new CreateImageRequest
        {
            Filename = path, Format = "vpc", Size = backing is null ? size : null, Options = opts,
            BackingFile = backing, BackingFormat = backing is null ? null : "vpc",
        }, null);
    }

    public static BlockDevice Open(string path, bool writable = false, ImageContext? ctx = null, bool noBacking = false) =>
        ImageOpener.Open(ctx ?? Ctx(), path, new OpenOptions { Format = "vpc", Writable = writable, NoBacking = noBacking });

    public static byte[] ReadAll(BlockDevice dev)
    {
        var b = new byte[dev.VirtualSize];
        dev.Read(0, b);
        return b;
    }

    /// <summary>The spec's checksum: one's complement of the byte sum, the checksum field counted as zero.</summary>
    public static uint Checksum(ReadOnlySpan<byte> structure, int checksumOffset)
    {
        uint sum = 0;
        for (int i = 0; i < structure.Length; i++)
            if (i < checksumOffset || i >= checksumOffset + 4)
                sum += structure[i];
        return ~sum;
    }

    /// <summary>Recomputes the checksum of the footer at <paramref name="at"/>.</summary>
    public static void FixFooterChecksum(string path, long at) =>
        PatchU32(path, at + FooterChecksum, Checksum(ReadBytes(path, at, 512), FooterChecksum));

    /// <summary>Recomputes the checksum of the footers at 0 and at the end (a dynamic disk).</summary>
    public static void FixFooterChecksums(string path)
    {
        FixFooterChecksum(path, 0);
        FixFooterChecksum(path, new FileInfo(path).Length - 512);
    }

    public static byte[] Pattern(int length, byte seed) =>
        Enumerable.Range(0, length).Select(i => (byte)(seed + i * 7)).ToArray();
}
