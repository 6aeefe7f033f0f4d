using System.Text;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Formats.Vmdk;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Vmdk;

/// <summary>The device over a text descriptor: its files, sizes and extent dispatch, without qemu.</summary>
[TestClass]
public sealed class VmdkDeviceTests
{
    private static string Descriptor(string extents) =>
        "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"twoGbMaxExtentFlat\"\n# Extent description\n" + extents;

    private static (TempDir Dir, string Path) Disk(string extents)
    {
        var dir = new TempDir();
        Directory.CreateDirectory(dir["sub"]);
        File.WriteAllBytes(dir["a.raw"], Enumerable.Repeat((byte)0xAA, 4096).ToArray());
        File.WriteAllBytes(dir["sub/b.raw"], Enumerable.Repeat((byte)0xBB, 8192).ToArray());
        File.WriteAllText(dir["disk.vmdk"], Descriptor(extents));
        return (dir, dir["disk.vmdk"]);
    }

    [TestMethod]
    public void HostFilesAreTheDescriptorThenEachExtentFileOnce()
    {
        var (dir, path) = Disk("RW 8 FLAT \"a.raw\" 0\nRW 16 FLAT \"sub/b.raw\" 0\nRW 8 FLAT \"a.raw\" 0\n");
        using (dir)
        using (var dev = ImageOpener.Open(ImageContext.CreateDefault(), path, new OpenOptions { Format = "vmdk" }))
        {
            CollectionAssert.AreEqual(new[] { path, dir["a.raw"], dir["sub/b.raw"] }, dev.HostFileNames.ToArray());
            Assert.AreEqual(32 * 512, dev.VirtualSize);
            Assert.AreEqual(0, dev.ClusterSize, "flat extents: no cluster size");
            long expected = new[] { path, dir["a.raw"], dir["sub/b.raw"], dir["a.raw"] }.Sum(p => AllocatedBytes(p));
            Assert.AreEqual(expected, dev.ActualSize, "qemu sums every extent's file that is not the descriptor, a repeated one twice");
            Assert.AreEqual(Cid(0xfffffffe), Cid(((VmdkDevice)dev).GetSpecificInfo()!.Data["cid"]));
        }
    }

    [TestMethod]
    public void ReadsCrossExtentBoundaries()
    {
        var (dir, path) = Disk("RW 8 FLAT \"a.raw\" 0\nRW 16 FLAT \"sub/b.raw\" 4\n");
        using (dir)
        using (var dev = ImageOpener.Open(ImageContext.CreateDefault(), path, new OpenOptions { Format = "vmdk" }))
        {
            var buf = new byte[24 * 512];
            dev.Read(0, buf);
            Assert.IsTrue(buf.AsSpan(0, 4096).ToArray().All(b => b == 0xAA));
            // the second extent starts 4 sectors into b.raw, which holds 16 sectors: its last 4 sectors are past the end, zeros
            Assert.IsTrue(buf.AsSpan(4096, 6144).ToArray().All(b => b == 0xBB));
            Assert.IsTrue(buf.AsSpan(10240).ToArray().All(b => b == 0));
            var status = dev.GetDriverStatus(4096, 8192);
            Assert.AreEqual(4 * 512, status.HostOffset, "offset into the extent's file");
            Assert.AreEqual(8192, status.Length);
        }
    }

    [TestMethod]
    public void ExtentsOfAReadOnlyImageCannotBeWritten()
    {
        var (dir, path) = Disk("RW 8 FLAT \"a.raw\" 0\n");
        using (dir)
        using (var dev = ImageOpener.Open(ImageContext.CreateDefault(), path, new OpenOptions { Format = "vmdk" }))
        {
            Assert.IsTrue(dev.ReadOnly);
            Assert.ThrowsExactly<ImageException>(() => dev.Write(0, new byte[512]));
            Assert.AreEqual(Descriptor("RW 8 FLAT \"a.raw\" 0\n"), File.ReadAllText(path), "nothing rewritten");
        }
    }

    [TestMethod]
    public void TheFirstWriteRewritesTheCidOnceFromTheIdentitySource()
    {
        var (dir, path) = Disk("RW 8 FLAT \"a.raw\" 0\n");
        using (dir)
        {
            var context = ImageContext.CreateDefault().WithIdentity(IdentitySource.Reproducible("vmdk-test", DateTimeOffset.UnixEpoch));
            uint cid = context.Identity.ForImage(path).NewUInt32("vmdk-cid");
            using (var dev = ImageOpener.Open(context, path, new OpenOptions { Format = "vmdk", Writable = true }))
            {
                dev.Write(0, new byte[512]);
                string once = File.ReadAllText(path);
                dev.Write(512, new byte[512]);
                Assert.AreEqual(once, File.ReadAllText(path), "only the first write rewrites the CID");
            }
            string text = File.ReadAllText(path, Encoding.Latin1);
            Assert.AreEqual(512, text.Length);
            Assert.AreEqual(Descriptor("RW 8 FLAT \"a.raw\" 0\n").Replace("CID=fffffffe", $"CID={cid:x}", StringComparison.Ordinal), text.TrimEnd('\0'));
        }
    }

    [TestMethod]
    public void AnUntrustedDescriptorMayNameOnlyFilesBesideIt()
    {
        var (dir, path) = Disk("RW 8 FLAT \"a.raw\" 0\nRW 8 FLAT \"/etc/passwd\" 0\n");
        using (dir)
        {
            var context = ImageContext.CreateDefault().WithFilePolicy(ImageFilePolicy.Untrusted);
            var e = Assert.ThrowsExactly<ImageException>(() => ImageOpener.Open(context, path, new OpenOptions { Format = "vmdk" }));
            Assert.IsInstanceOfType<ImageFileException>(e.InnerException, "refused by the file policy");
            Assert.AreEqual($"Could not open '{path}': extent file '/etc/passwd' named by untrusted image '{path}' is outside the image's directory", e.Message);
            File.WriteAllText(path, Descriptor("RW 8 FLAT \"sub/../a.raw\" 0\nRW 16 FLAT \"sub/b.raw\" 0\n"));
            using var dev = ImageOpener.Open(context, path, new OpenOptions { Format = "vmdk" });
            Assert.AreEqual(24 * 512, dev.VirtualSize, "names inside the directory are followed");
        }
    }

    private static long Cid(object? value) => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);

    private static long AllocatedBytes(string path)
    {
        using var f = Host.HostFile.Open(path, writable: false);
        return f.AllocatedBytes;
    }
}
