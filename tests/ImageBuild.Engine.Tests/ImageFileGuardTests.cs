using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests;

/// <summary>
/// Issue 12 defect 10: an image names files (backing file, qcow2 data file) and we, like qemu, followed any of them:
/// /etc/shadow, /dev/urandom, a FIFO that blocks forever. Under <see cref="ImageFilePolicy.Untrusted"/> an image may
/// name only regular files inside its own directory; under <see cref="ImageFilePolicy.RegularFiles"/> (recipes) no
/// device, FIFO or socket is opened as an image; qemu's policy (the default) refuses FIFOs without blocking first.
/// </summary>
[TestClass]
public sealed class ImageFileGuardTests
{
    private static readonly ImageContext Qemu = ImageContext.CreateDefault();
    private static readonly ImageContext Untrusted = Qemu.WithFilePolicy(ImageFilePolicy.Untrusted);
    private static readonly ImageContext RegularFiles = Qemu.WithFilePolicy(ImageFilePolicy.RegularFiles);

    private sealed class Layout : IDisposable
    {
        private readonly TempDir _root = new();
        public Layout()
        {
            Directory.CreateDirectory(Dir);
            Directory.CreateDirectory(_root["outside"]);
            File.WriteAllBytes(OutsideFile, new byte[1 << 20]);
            File.WriteAllBytes(Path.Combine(Dir, "base.raw"), new byte[1 << 20]);
        }
        public string Dir => _root["images"];
        public string OutsideFile => _root["outside/secret.raw"];
        public string Top => Path.Combine(Dir, "top.qcow2");
        public string this[string name] => Path.Combine(Dir, name);
        public void Dispose() => _root.Dispose();

        /// <summary>top.qcow2 naming <paramref name="backing"/> as its raw backing file.</summary>
        public string Overlay(string backing) => HostileImages.OverlayNaming(Top, backing);

        /// <summary>top.qcow2 with the external data file <paramref name="dataFile"/> (created where it names).</summary>
        public string WithDataFile(string dataFile)
        {
            ImageCreator.Create(Qemu, new CreateImageRequest
            {
                Filename = Top, Format = "qcow2", Size = 1 << 20, Options = [new("data_file", dataFile)],
            }, null);
            return Top;
        }
    }

    private static string Refusal(ImageContext context, string image, bool noBacking = false, bool noIo = true)
    {
        // A FIFO that is opened blocks until a writer comes: that is a failure here, not a wait.
        var open = Task.Run(() =>
        {
            try
            {
                using var _ = ImageOpener.Open(context, image, new OpenOptions { NoBacking = noBacking, NoIo = noIo });
                return "";
            }
            catch (ImageException e)
            {
                return e.Message;
            }
        });
        Assert.IsTrue(open.Wait(TimeSpan.FromSeconds(30)), "the open blocked (a FIFO was opened)");
        return open.Result;
    }


    [TestMethod]
    public void AbsoluteBackingOutsideTheDirectoryIsRefusedOnlyWhenUntrusted()
    {
        using var l = new Layout();
        l.Overlay(l.OutsideFile);
        Assert.AreEqual($"Could not open '{l.Top}': backing file '{l.OutsideFile}' named by untrusted image '{l.Top}' is outside the image's directory",
            Refusal(Untrusted, l.Top));
        Assert.AreEqual("", Refusal(Qemu, l.Top), "qemu's behaviour stays the default");
        Assert.AreEqual("", Refusal(RegularFiles, l.Top), "a regular file is fine for recipes' default");
    }

    [TestMethod]
    public void DotDotBackingIsRefused()
    {
        using var l = new Layout();
        l.Overlay("../outside/secret.raw");
        StringAssert.EndsWith(Refusal(Untrusted, l.Top), $"backing file '{l.Dir}/../outside/secret.raw' named by untrusted image '{l.Top}' is outside the image's directory");
    }

    [TestMethod]
    public void SymbolicLinkOutOfTheDirectoryIsRefusedAndOneStayingInsideIsNot()
    {
        using var l = new Layout();
        File.CreateSymbolicLink(l["link.raw"], l.OutsideFile);
        l.Overlay("link.raw");
        StringAssert.EndsWith(Refusal(Untrusted, l.Top), $"backing file '{l["link.raw"]}' named by untrusted image '{l.Top}' leads outside the image's directory through a symbolic link (to '{l.OutsideFile}')");

        File.Delete(l["link.raw"]);
        Directory.CreateDirectory(l["sub"]);
        File.Move(l["base.raw"], l["sub/base.raw"]);
        File.CreateSymbolicLink(l["link.raw"], "sub/base.raw");
        Assert.AreEqual("", Refusal(Untrusted, l.Top), "a link to a regular file inside the directory is allowed");
    }

    [TestMethod]
    public void DeviceNodeIsRefusedUnlessQemusPolicy()
    {
        using var l = new Layout();
        l.Overlay("/dev/zero");
        StringAssert.EndsWith(Refusal(Untrusted, l.Top), $"backing file '/dev/zero' named by untrusted image '{l.Top}' is outside the image's directory");
        StringAssert.EndsWith(Refusal(RegularFiles, l.Top), "'/dev/zero' is a character device, not a regular file (devices, FIFOs and sockets are never opened as images here)");
        Assert.AreEqual("", Refusal(Qemu, l.Top), "qemu opens a character device as a raw backing file");
    }

    [TestMethod]
    public void FifoBackingIsRefusedWithoutBlockingUnderEveryPolicy()
    {
        using var l = new Layout();
        Fifo.Make(l["pipe"]);
        l.Overlay("pipe");
        StringAssert.EndsWith(Refusal(Untrusted, l.Top), $"backing file '{l["pipe"]}' named by untrusted image '{l.Top}' is a FIFO, not a regular file");
        // qemu's file driver refuses a FIFO with this message (once a writer has unblocked its open).
        Assert.AreEqual($"Could not open '{l.Top}': Could not open backing file: 'file' driver requires '{l["pipe"]}' to be a regular file", Refusal(Qemu, l.Top));
    }

    [TestMethod]
    public void FifoAsTheImageItselfIsRefusedAsQemusFileDriverDoes()
    {
        using var l = new Layout();
        Fifo.Make(l["pipe"]);
        Assert.AreEqual($"Could not open '{l["pipe"]}': 'file' driver requires '{l["pipe"]}' to be a regular file", Refusal(Qemu, l["pipe"]));
        StringAssert.EndsWith(Refusal(Untrusted, l["pipe"]), "to be a regular file");
    }

    [TestMethod]
    public void DataFileOutsideTheDirectoryIsRefusedEvenWithoutTheBackingChain()
    {
        using var l = new Layout();
        string outsideData = Path.Combine(Path.GetDirectoryName(l.OutsideFile)!, "top.data");
        l.WithDataFile(outsideData);
        // info opens without the backing chain, but the data file is part of the image (CVE-2024-4467).
        Assert.AreEqual($"Could not open '{l.Top}': data file '{outsideData}' named by untrusted image '{l.Top}' is outside the image's directory",
            Refusal(Untrusted, l.Top, noBacking: true));
        Assert.AreEqual("", Refusal(Qemu, l.Top, noBacking: true));
    }

    [TestMethod]
    public void DataFileReplacedByALinkOutOrAFifoIsRefused()
    {
        using var l = new Layout();
        l.WithDataFile(l["top.data"]);
        Assert.AreEqual("", Refusal(Untrusted, l.Top), "a data file beside the image is allowed");

        File.Delete(l["top.data"]);
        File.CreateSymbolicLink(l["top.data"], l.OutsideFile);
        StringAssert.EndsWith(Refusal(Untrusted, l.Top, noBacking: true), $"data file '{l["top.data"]}' named by untrusted image '{l.Top}' leads outside the image's directory through a symbolic link (to '{l.OutsideFile}')");

        File.Delete(l["top.data"]);
        Fifo.Make(l["top.data"]);
        StringAssert.EndsWith(Refusal(Untrusted, l.Top, noBacking: true), $"data file '{l["top.data"]}' named by untrusted image '{l.Top}' is a FIFO, not a regular file");
        StringAssert.EndsWith(Refusal(Qemu, l.Top, noBacking: true, noIo: false), $"'file' driver requires '{l["top.data"]}' to be a regular file");
        Assert.AreEqual("", Refusal(Qemu, l.Top, noBacking: true), "a metadata-only open (info) never opens the data file, as qemu's CVE-2024-4467 fix");
    }
}
