using System.Buffers.Binary;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using static ImageBuild.Tests.Shared.ImageFilePatch;
using static ImageBuild.Tests.Shared.LittleEndianFields;

namespace ImageBuild.Engine.Tests.Vhdx;

/// <summary>Making, patching and opening VHDX images in tests (layout of a small image: log 1 MiB, BAT 2 MiB, metadata 3 MiB).</summary>
internal static class VhdxTestSupport
{
    public const int MiB = 1 << 20;
    public const long Bat = 2 * MiB, Metadata = 3 * MiB, Items = 3 * MiB + 0x10000;

    public static ImageContext Ctx() => new(FormatRegistry.CreateDefault());

    public static void Create(string path, long size, params (string Name, string Value)[] options) =>
        ImageCreator.Create(Ctx(), new CreateImageRequest
        {
            Filename = path, Format = "vhdx", Size = size, Options = [.. options.Select(o => new KeyValuePair<string, string>(o.Name, o.Value))],
        }, null);

    public static BlockDevice Open(string path, bool writable = false, ImageContext? ctx = null) =>
        ImageOpener.Open(ctx ?? Ctx(), path, new OpenOptions { Format = "vhdx", Writable = writable });

    public static byte[] Pattern(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }
}
