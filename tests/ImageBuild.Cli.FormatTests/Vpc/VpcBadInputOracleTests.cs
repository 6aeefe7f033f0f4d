using System.Buffers.Binary;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Vpc;

/// <summary>
/// Corrupt and hostile VHDs, each made from a qemu-made dynamic disk by changing one field (checksums recomputed
/// unless the case is about them): `convert -f vpc -O raw` and `info -f vpc` give qemu-img's exit code and message,
/// one line, quickly and without a large allocation.
/// </summary>
[TestClass]
[RequiresQemu]
public sealed class VpcBadInputOracleTests
{
    [TestMethod]
    [DataRow("footer-checksum-at-0")] // qemu 7.2 does not fall back to the footer at the end
    [DataRow("footer-checksum-at-end")] // the copy at 0 is the one read: opens
    [DataRow("no-cookie")]
    [DataRow("tiny-file")]
    [DataRow("header-offset-past-eof")]
    [DataRow("header-offset-unreachable")]
    [DataRow("header-magic")]
    [DataRow("block-size-not-power-of-two")]
    [DataRow("block-size-zero")]
    [DataRow("block-size-2g")]
    [DataRow("max-table-entries-absurd")]
    [DataRow("max-table-entries-2g-table")]
    [DataRow("page-table-too-small")]
    [DataRow("bat-past-eof")]
    [DataRow("bat-entry-past-eof")]
    [DataRow("bat-entry-into-metadata")] // qemu reads the header's bytes as data; so do we (writes are refused)
    [DataRow("size-past-2040g")]
    public void HostileImageGivesQemusOutcome(string kind)
    {
        using var tmp = new TempDir();
        ToolUnderTest.QemuOk(tmp.Path, "create", "-q", "-f", "vpc", "base.vhd", "4M");
        ToolUnderTest.QemuIo(tmp.Path, "vpc", "base.vhd", "write -q -P 0x5a 0 1M");
        byte[] d = File.ReadAllBytes(tmp["base.vhd"]);
        bool fixFooter = true, fixHeader = true;
        int end = d.Length - 512;
        void Both(int at, ReadOnlySpan<byte> value) { value.CopyTo(d.AsSpan(at)); value.CopyTo(d.AsSpan(end + at)); }
        byte[] U64(ulong v) { var b = new byte[8]; BinaryPrimitives.WriteUInt64BigEndian(b, v); return b; }
        byte[] U32(uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, v); return b; }
        switch (kind)
        {
            case "footer-checksum-at-0": d[20] ^= 1; fixFooter = false; break;
            case "footer-checksum-at-end": d[end + 20] ^= 1; fixFooter = false; break;
            case "no-cookie": "xxxxxxxx"u8.CopyTo(d); "yyyyyyyy"u8.CopyTo(d.AsSpan(end)); fixFooter = false; break;
            case "tiny-file": d = [1, 2, 3]; fixFooter = fixHeader = false; break;
            case "header-offset-past-eof": Both(16, U64(1_000_000_000)); break;
            case "header-offset-unreachable": Both(16, U64(ulong.MaxValue - 100)); break;
            case "header-magic": "xxxxxxxx"u8.CopyTo(d.AsSpan(512)); break;
            case "block-size-not-power-of-two": U32(3_000_000).CopyTo(d, 512 + 32); break;
            case "block-size-zero": U32(0).CopyTo(d, 512 + 32); break;
            case "block-size-2g": U32(0x8000_0000).CopyTo(d, 512 + 32); break;
            case "max-table-entries-absurd": U32(0x7FFF_FFFF).CopyTo(d, 512 + 28); break;
            case "max-table-entries-2g-table": U32(0x1FFF_FFFF).CopyTo(d, 512 + 28); break;
            case "page-table-too-small": U32(1).CopyTo(d, 512 + 28); break;
            case "bat-past-eof": U64(1_000_000_000).CopyTo(d, 512 + 16); break;
            case "bat-entry-past-eof": U32(0x10_0000).CopyTo(d, 1536); break;
            case "bat-entry-into-metadata": U32(1).CopyTo(d, 1536); break;
            case "size-past-2040g": Both(28, "win "u8); Both(48, U64(3UL << 40)); break;
            default: throw new AssertFailedException(kind);
        }
        if (fixFooter)
            foreach (int at in new[] { 0, end })
                U32(Checksum(d.AsSpan(at, 512), 64)).CopyTo(d, at + 64);
        if (fixHeader)
            U32(Checksum(d.AsSpan(512, 1024), 36)).CopyTo(d, 512 + 36);
        File.WriteAllBytes(tmp["bad.vhd"], d);

        var qc = ToolUnderTest.Qemu(tmp.Path, "convert", "-f", "vpc", "-O", "raw", "bad.vhd", "q.raw");
        var tc = ToolUnderTest.Run(tmp.Path, "convert", "-f", "vpc", "-O", "raw", "bad.vhd", "t.raw");
        OracleAssert.SameExitAndErrors(qc, tc);
        Assert.IsTrue(tc.Elapsed < TimeSpan.FromSeconds(20), $"{kind}: took {tc.Elapsed}");
        if (qc.ExitCode == 0)
            CollectionAssert.AreEqual(File.ReadAllBytes(tmp["q.raw"]), File.ReadAllBytes(tmp["t.raw"]), $"{kind}: what qemu reads");
        OracleAssert.SameOutcome(ToolUnderTest.Qemu(tmp.Path, "info", "-f", "vpc", "bad.vhd"), ToolUnderTest.Run(tmp.Path, "info", "-f", "vpc", "bad.vhd"));
    }

    private static uint Checksum(ReadOnlySpan<byte> structure, int checksumOffset)
    {
        uint sum = 0;
        for (int i = 0; i < structure.Length; i++)
            if (i < checksumOffset || i >= checksumOffset + 4)
                sum += structure[i];
        return ~sum;
    }
}
