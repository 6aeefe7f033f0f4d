using System.Buffers.Binary;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using static ImageBuild.Tests.Shared.ImageFilePatch;
using static ImageBuild.Tests.Shared.LittleEndianFields;

namespace ImageBuild.Engine.Tests.Vdi;

/// <summary>Collects check's diagnostic lines.</summary>
internal sealed class CheckLines : Info.ICheckLog
{
    public List<string> All { get; } = [];

    public void Message(string line) => All.Add(line);
}

/// <summary>Making, patching and opening VDI images in tests.</summary>
internal static class VdiTestSupport
{
    public const int MiB = 1 << 20;

    // header field offsets (qemu's VdiHeader)
    public const int ImageType = 0x4C, OffsetBmap = 0x154, OffsetData = 0x158, DiskSize = 0x170, BlockExtra = 0x17C,
        BlocksInImage = 0x180, BlocksAllocated = 0x184, UuidImage = 0x188, UuidLastSnap = 0x198;

    public static ImageContext Ctx(Host.IHostFileFaults? faults = null) => new(FormatRegistry.CreateDefault()) { HostFaults = faults };

    public static void Create(string path, long size, bool isStatic = false, ImageContext? ctx = null) =>
        ImageCreator.Create(ctx ?? Ctx(), new CreateImageRequest
        {
            Filename = path, Format = "vdi", Size = size, Options = [new("static", isStatic ? "on" : "off")],
        }, null);

    public static BlockDevice Open(string path, bool writable = false, ImageContext? ctx = null) =>
        ImageOpener.Open(ctx ?? Ctx(), path, new OpenOptions { Format = "vdi", Writable = writable });

    /// <summary>The block map entry of guest block <paramref name="block"/> as stored in the file.</summary>
    public static uint MapEntry(string path, long block) => ReadU32(path, ReadU32(path, OffsetBmap) + block * 4);

    public static byte[] Pattern(int length, byte seed) =>
        Enumerable.Range(0, length).Select(i => (byte)(seed + i * 7)).ToArray();
}
