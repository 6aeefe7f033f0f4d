using System.Buffers.Binary;

namespace ImageBuild.Cli.FormatTests.Vdi;

/// <summary>VDI images for the oracle tests, made by qemu-img and qemu-io, with header fields patched where a case needs it.</summary>
internal static class VdiOracleImages
{
    public const int MiB = 1 << 20;

    /// <summary>The two UUIDs qemu fills randomly (image, last snapshot): 32 bytes at 0x188.</summary>
    public const int RandomUuids = 0x188, RandomUuidsLength = 32;

    /// <summary>
    /// Named images: "empty" (dynamic 64 MiB), "filled" (patterns across blocks), "static", "static-filled",
    /// "zero-size", "odd-size" (disk_size not a sector multiple, as VBoxManage convertfromraw leaves it),
    /// "discarded" (entries 0xFFFFFFFE as VirtualBox leaves them), "block-extra", "header-190", "zeroed"
    /// (qemu-io write -z and discard), "corrupt" (a shared block and an entry far past the end of the file, which both
    /// read as qemu reads them, and a wrong blocks_allocated).
    /// </summary>
    public static readonly string[] Names =
        ["empty", "filled", "static", "static-filled", "zero-size", "odd-size", "discarded", "block-extra", "header-190", "zeroed", "corrupt"];

    /// <summary><see cref="Names"/> as test cases.</summary>
    public static IEnumerable<object[]> Cases => Names.Select(n => new object[] { n });

    public static void Make(string dir, string name)
    {
        string file = name + ".vdi";
        string path = Path.Combine(dir, file);
        switch (name)
        {
            case "empty":
                ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "vdi", file, "64M");
                break;
            case "filled":
                ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "vdi", file, "64M");
                Fill(dir, file);
                break;
            case "static":
                ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "vdi", "-o", "static=on", file, "8M");
                break;
            case "static-filled":
                ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "vdi", "-o", "static=on", file, "64M");
                Fill(dir, file);
                break;
            case "zero-size":
                ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "vdi", file, "0");
                break;
            case "odd-size":
                ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "vdi", file, "3M");
                ToolUnderTest.QemuIo(dir, "vdi", file, "write -P 0x41 0 3M");
                WriteLe64(path, 0x170, 3 * MiB - 1000);
                break;
            case "discarded":
                ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "vdi", file, "8M");
                // VirtualBox frees a discarded block by moving the last data block into its place: guest blocks 1
                // and 2 discarded, guest block 3 (same pattern) moved from data block 3 to 1, two blocks allocated
                ToolUnderTest.QemuIo(dir, "vdi", file, "write -P 0x42 0 4M");
                WriteLe32(path, 0x200 + 1 * 4, 0xFFFFFFFE);
                WriteLe32(path, 0x200 + 2 * 4, 0xFFFFFFFE);
                WriteLe32(path, 0x200 + 3 * 4, 1);
                WriteLe32(path, 0x184, 2);
                break;
            case "block-extra":
                ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "vdi", file, "4M");
                ToolUnderTest.QemuIo(dir, "vdi", file, "write -P 0x43 1M 2M");
                WriteLe32(path, 0x17C, 4096);
                break;
            case "header-190":
                ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "vdi", file, "4M");
                ToolUnderTest.QemuIo(dir, "vdi", file, "write -P 0x44 0 1M");
                WriteLe32(path, 0x48, 0x190);
                WriteLe32(path, 0x1C8, 1234); // VirtualBox's second geometry, in qemu's padding
                break;
            case "zeroed":
                ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "vdi", file, "16M");
                ToolUnderTest.QemuIo(dir, "vdi", file, "write -P 0x45 0 6M", "write -z 1M 2M", "discard 3M 2M", "write -z 7M 512");
                break;
            case "corrupt":
                ToolUnderTest.QemuOk(dir, "create", "-q", "-f", "vdi", file, "8M");
                ToolUnderTest.QemuIo(dir, "vdi", file, "write -P 0x46 0 3M");
                WriteLe32(path, 0x200 + 3 * 4, 1); // shares block 1
                WriteLe32(path, 0x200 + 4 * 4, 100); // past blocks_in_image
                WriteLe32(path, 0x184, 7);
                break;
            default:
                throw new ArgumentException(name);
        }
    }

    /// <summary>Patterns at odd offsets, inside blocks, across block boundaries, and in the last block.</summary>
    public static void Fill(string dir, string file) => ToolUnderTest.QemuIo(dir, "vdi", file,
        "write -P 0x11 0 512", "write -P 0x12 1048064 1024", "write -P 0x13 5M 3M", "write -P 0x14 20971521 4097",
        "write -P 0x15 63M 1M", "write -P 0x16 40M 64k");

    public static void WriteLe32(string path, long offset, uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        OracleFixtures.Patch(path, offset, b);
    }

    public static void WriteLe64(string path, long offset, ulong value)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        OracleFixtures.Patch(path, offset, b);
    }

    /// <summary>
    /// Asserts the two images are byte-identical but for the UUIDs qemu fills randomly: ours must be set (not zero,
    /// not equal to each other), then qemu's are copied into ours and the files compared whole.
    /// </summary>
    public static void AssertSameButUuids(string qemuPath, string ourPath, string what)
    {
        byte[] ours = ReadAt(ourPath, RandomUuids, RandomUuidsLength);
        Assert.IsFalse(ours.AsSpan(0, 16).IndexOfAnyExcept((byte)0) < 0, $"{what}: image UUID set");
        Assert.IsFalse(ours.AsSpan(16).IndexOfAnyExcept((byte)0) < 0, $"{what}: last snapshot UUID set");
        Assert.IsFalse(ours.AsSpan(0, 16).SequenceEqual(ours.AsSpan(16)), $"{what}: two different UUIDs");
        OracleFixtures.Patch(ourPath, RandomUuids, ReadAt(qemuPath, RandomUuids, RandomUuidsLength));
        OracleFixtures.AssertFilesEqual(qemuPath, ourPath, what);
    }

    private static byte[] ReadAt(string path, long offset, int length)
    {
        using var fs = File.OpenRead(path);
        var b = new byte[length];
        fs.Position = offset;
        fs.ReadExactly(b);
        return b;
    }
}
