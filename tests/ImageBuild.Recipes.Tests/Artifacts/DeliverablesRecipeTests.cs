using System.Text.Json;
using ImageBuild.Recipes.Execution;
using ImageBuild.Recipes.Loading;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests.Artifacts;

/// <summary>
/// recipes/deliverables.yaml, the example the README shows: one disk shipped to every platform. Each deliverable is
/// opened with the tools its users have (GNU tar, gzip, xz, zstd, sha256sum) and the disks inside are compared with the
/// source by qemu-img; a second output directory gets the same bytes.
/// </summary>
[TestClass]
public sealed class DeliverablesRecipeTests
{
    private static string RecipePath => Path.Combine(AppContext.BaseDirectory, "recipes", "deliverables.yaml");

    [TestMethod]
    [RequiresQemu]
    [RequiresTool("sha256sum")]
    [RequiresTool("xz")]
    public void EveryDeliverableOpensWithItsUsersToolsAndHoldsTheDisk()
    {
        using var dir = new TempDir();
        string outDir = dir["out"];
        var run = new RecipeRunner(RecipeLoader.Load(RecipePath), new RunOptions { OutputDir = outDir }).Run();
        Assert.IsTrue(run.Succeeded, string.Join("\n", run.Steps.Select(s => $"{s.Id}: {s.Reason}")));
        string disk = Path.Combine(outDir, run["disk"].Output!);

        var sums = ExternalTools.RunOk("sha256sum", outDir, "-c", "SHA256SUMS");
        foreach (var name in new[] { "vsphere.ova", "azure.vhd", "gce.tar.gz", "libvirt-box.box", "virtualbox-box.box", "hyperv.vhdx", "disk.raw.xz", "disk.raw.zst" })
            StringAssert.Contains(sums.StdOut, $"{name}: OK");

        // OVA: descriptor first, manifest second, then the disk; the disk is the source's content.
        string[] ova = Tar(outDir, "-tf", "vsphere.ova");
        CollectionAssert.AreEqual(new[] { "demo-vm.ovf", "demo-vm.mf", "demo-vm-disk1.vmdk" }, ova);
        string ovaDir = Extract(dir, "ova", Path.Combine(outDir, "vsphere.ova"), "-xf");
        using (var info = JsonDocument.Parse(QemuOracle.ImgOk("info", "--output=json", Path.Combine(ovaDir, "demo-vm-disk1.vmdk"))))
            Assert.AreEqual("streamOptimized", info.RootElement.GetProperty("format-specific").GetProperty("data").GetProperty("create-type").GetString());
        Identical(disk, "raw", Path.Combine(ovaDir, "demo-vm-disk1.vmdk"), "vmdk");

        // GCE: exactly disk.raw, holding the disk (the tail it was grown by reads as zeros).
        CollectionAssert.AreEqual(new[] { "disk.raw" }, Tar(outDir, "-tzf", "gce.tar.gz"));
        string gceDir = Extract(dir, "gce", Path.Combine(outDir, "gce.tar.gz"), "-xzSf");
        Identical(disk, "raw", Path.Combine(gceDir, "disk.raw"), "raw");

        // Vagrant libvirt: a qcow2 box.img holding the disk and the metadata vagrant-libvirt reads.
        CollectionAssert.IsSubsetOf(new[] { "box.img", "metadata.json", "Vagrantfile" }, Tar(outDir, "-tzf", "libvirt-box.box"));
        string boxDir = Extract(dir, "box", Path.Combine(outDir, "libvirt-box.box"), "-xzf");
        using (var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(boxDir, "metadata.json"))))
        {
            Assert.AreEqual("libvirt", meta.RootElement.GetProperty("provider").GetString());
            Assert.AreEqual("qcow2", meta.RootElement.GetProperty("format").GetString());
        }
        Identical(disk, "raw", Path.Combine(boxDir, "box.img"), "qcow2");

        // Vagrant VirtualBox: an OVF and its VMDK.
        string[] vbox = Tar(outDir, "-tzf", "virtualbox-box.box");
        Assert.IsTrue(vbox.Any(n => n.EndsWith(".ovf", StringComparison.Ordinal)) && vbox.Any(n => n.EndsWith(".vmdk", StringComparison.Ordinal)), string.Join(", ", vbox));
        CollectionAssert.Contains(vbox, "metadata.json");

        // Downloads: xz and zstd give the raw disk back.
        Assert.AreEqual(0, QemuOracle.Run("/bin/sh", ["-c", "xz -dc disk.raw.xz | cmp - disk.raw && zstd -dc disk.raw.zst | cmp - disk.raw"], outDir).ExitCode);
        // Azure and Hyper-V as their steps' own tests check them; here only that qemu-img opens them.
        QemuOracle.ImgOk("check", "-f", "vhdx", Path.Combine(outDir, "hyperv.vhdx"));
        Identical(disk, "raw", Path.Combine(outDir, "azure.vhd"), "vpc");

        // The same bytes from another output directory.
        string other = dir["again"];
        Assert.IsTrue(new RecipeRunner(RecipeLoader.Load(RecipePath), new RunOptions { OutputDir = other, Jobs = 1 }).Run().Succeeded);
        foreach (var name in File.ReadAllLines(Path.Combine(outDir, "SHA256SUMS")).Select(l => l[(l.IndexOf("  ", StringComparison.Ordinal) + 2)..]).Append("SHA256SUMS"))
            Assert.IsTrue(File.ReadAllBytes(Path.Combine(outDir, name)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(other, name))), $"{name} differs between two runs");
    }

    private static string[] Tar(string workDir, params string[] args) =>
        ExternalTools.RunOk("tar", workDir, args).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static string Extract(TempDir dir, string name, string archive, string flags)
    {
        string target = dir[name];
        Directory.CreateDirectory(target);
        ExternalTools.RunOk("tar", target, flags, archive);
        return target;
    }

    /// <summary>qemu-img compare (not strict: a tail of zeros the copy was grown by is no difference).</summary>
    private static void Identical(string a, string fa, string b, string fb)
    {
        var r = QemuOracle.Img("compare", "-f", fa, "-F", fb, a, b);
        Assert.AreEqual(0, r.ExitCode, $"{b}: {r.StdOut}{r.StdErr}");
    }
}
