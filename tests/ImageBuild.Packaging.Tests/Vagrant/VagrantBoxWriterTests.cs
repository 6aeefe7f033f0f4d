using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using ImageBuild.Engine;
using ImageBuild.Engine.Block;
using ImageBuild.Packaging.Ovf;
using ImageBuild.Packaging.Tests.Ovf;
using ImageBuild.Packaging.Vagrant;

namespace ImageBuild.Packaging.Tests.Vagrant;

/// <summary>Vagrant boxes made from a qemu-img qcow2, checked with GNU tar, gzip, xmllint and qemu-img.</summary>
[TestClass]
public sealed class VagrantBoxWriterTests
{
    private static readonly VirtualHardware Hardware = new() { Name = "devbox", Cpus = 2, MemoryMiB = 1536, OsType = "ubuntu-64" };

    private static VagrantBoxRequest Request(PackageFixture f, VagrantProvider provider) =>
        new() { Disk = new(f.Source, "qcow2"), Provider = provider, Hardware = Hardware };

    [TestMethod]
    public void Libvirt_box_holds_metadata_vagrantfile_and_a_qcow2_equal_to_the_source()
    {
        using var f = new PackageFixture();
        string box = f["libvirt.box"];
        var result = VagrantBoxWriter.Write(f.Context(), Request(f, VagrantProvider.Libvirt), box);

        string[] expected = ["metadata.json", "Vagrantfile", "box.img"];
        CollectionAssert.AreEqual(expected, result.Members.ToArray());
        Tools.Ok("gzip", f.Dir, "-t", box);
        CollectionAssert.AreEqual(expected, f.List(box, "-z").ToArray());
        string dir = f.Extract(box, "x", "-z");

        using var metadata = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "metadata.json")));
        Assert.AreEqual("libvirt", metadata.RootElement.GetProperty("provider").GetString());
        Assert.AreEqual("qcow2", metadata.RootElement.GetProperty("format").GetString());
        Assert.AreEqual(1, metadata.RootElement.GetProperty("virtual_size").GetInt64(), "16 MiB rounds up to 1 GiB");

        string vagrantfile = File.ReadAllText(Path.Combine(dir, "Vagrantfile"));
        Assert.Contains("config.vm.provider :libvirt do |libvirt|", vagrantfile);
        Assert.Contains("libvirt.driver = \"kvm\"", vagrantfile);
        Assert.Contains("libvirt.cpus = 2\n", vagrantfile);
        Assert.Contains("libvirt.memory = 1536\n", vagrantfile);

        string img = Path.Combine(dir, "box.img");
        using var info = JsonDocument.Parse(Tools.Ok("qemu-img", dir, "info", "--output=json", img).StdOut);
        Assert.AreEqual("qcow2", info.RootElement.GetProperty("format").GetString());
        Assert.IsFalse(info.RootElement.TryGetProperty("backing-filename", out _));
        Tools.Ok("qemu-img", dir, "compare", "-f", "qcow2", "-F", "qcow2", f.Source, img);
        Tools.Ok("qemu-img", dir, "check", img);
        Assert.AreEqual(0, Directory.GetFileSystemEntries(f.ScratchDir).Length, "the scratch image is deleted");
    }

    [TestMethod]
    public void Libvirt_box_image_of_an_overlay_is_flattened()
    {
        using var f = new PackageFixture();
        string overlay = f["overlay.qcow2"];
        Tools.Ok("qemu-img", f.Dir, "create", "-q", "-f", "qcow2", "-b", f.Source, "-F", "qcow2", overlay);
        Tools.Ok("qemu-io", f.Dir, "-c", "write -P 0xee 512k 1M", overlay);
        string box = f["overlay.box"];
        VagrantBoxWriter.Write(f.Context(), new() { Disk = new(overlay, "qcow2"), Provider = VagrantProvider.Libvirt, Hardware = Hardware }, box);
        string img = Path.Combine(f.Extract(box, "x", "-z"), "box.img");
        using var info = JsonDocument.Parse(Tools.Ok("qemu-img", f.Dir, "info", "--output=json", img).StdOut);
        Assert.IsFalse(info.RootElement.TryGetProperty("backing-filename", out _));
        Tools.Ok("qemu-img", f.Dir, "compare", "-f", "qcow2", "-F", "qcow2", overlay, img);
        Assert.AreNotEqual(0, QemuCompare(f.Source, img), "the overlay's data is in the box");
    }

    private static int QemuCompare(string a, string b) =>
        ImageBuild.Tests.Shared.QemuOracle.Run(Tools.Find("qemu-img"), ["compare", "-q", a, b]).ExitCode;

    [TestMethod]
    public void Libvirt_virtual_size_is_rounded_up_to_whole_gib()
    {
        using var f = new PackageFixture();
        string big = f["big.qcow2"];
        Tools.Ok("qemu-img", f.Dir, "create", "-q", "-f", "qcow2", big, ((2L << 30) + 512).ToString());
        string box = f["big.box"];
        VagrantBoxWriter.Write(f.Context(), new() { Disk = new(big, null), Provider = VagrantProvider.Libvirt, Hardware = Hardware }, box);
        using var metadata = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(f.Extract(box, "x", "-z"), "metadata.json")));
        Assert.AreEqual(3, metadata.RootElement.GetProperty("virtual_size").GetInt64());
    }

    [TestMethod]
    public void VirtualBox_box_holds_an_ovf_and_its_stream_optimized_vmdk()
    {
        using var f = new PackageFixture();
        string box = f["virtualbox.box"];
        var result = VagrantBoxWriter.Write(f.Context(), Request(f, VagrantProvider.VirtualBox), box);

        string[] expected = ["metadata.json", "Vagrantfile", "box.ovf", "box-disk001.vmdk"];
        CollectionAssert.AreEqual(expected, result.Members.ToArray());
        CollectionAssert.AreEqual(expected, f.List(box, "-z").ToArray());
        string dir = f.Extract(box, "x", "-z");

        using var metadata = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "metadata.json")));
        Assert.AreEqual("virtualbox", metadata.RootElement.GetProperty("provider").GetString());

        string vagrantfile = File.ReadAllText(Path.Combine(dir, "Vagrantfile"));
        Assert.MatchesRegex(new Regex("^Vagrant.configure\\(\"2\"\\) do \\|config\\|\n  config.vm.base_mac = \"080027[0-9A-F]{6}\"\nend\n$"), vagrantfile);

        Tools.Ok("xmllint", dir, "--noout", "box.ovf");
        var ovf = XDocument.Load(Path.Combine(dir, "box.ovf"));
        Assert.AreEqual(0, OvfRules.Check(ovf, ["box.ovf", "box-disk001.vmdk"]).Count);
        XNamespace ns = ovf.Root!.Name.Namespace;
        Assert.AreEqual("box-disk001.vmdk", (string?)ovf.Descendants(ns + "File").Single().Attribute(ns + "href"));
        Assert.AreEqual("devbox", (string?)ovf.Descendants(ns + "VirtualSystem").Single().Attribute(ns + "id"));

        string vmdk = Path.Combine(dir, "box-disk001.vmdk");
        using var info = JsonDocument.Parse(Tools.Ok("qemu-img", dir, "info", "--output=json", vmdk).StdOut);
        Assert.AreEqual("streamOptimized", info.RootElement.GetProperty("format-specific").GetProperty("data").GetProperty("create-type").GetString());
        Tools.Ok("qemu-img", dir, "compare", "-f", "qcow2", "-F", "vmdk", f.Source, vmdk);
    }

    [TestMethod]
    [DataRow(VagrantProvider.Libvirt)]
    [DataRow(VagrantProvider.VirtualBox)]
    public void Boxes_are_byte_identical_across_runs_scratch_directories_and_thread_counts(VagrantProvider provider)
    {
        using var f = new PackageFixture();
        Directory.CreateDirectory(f["scratch2"]);
        VagrantBoxWriter.Write(f.Context() with { Threads = 1 }, Request(f, provider), f["a.box"]);
        VagrantBoxWriter.Write(f.Context(f["scratch2"], prefix: "x-") with { Threads = 3 }, Request(f, provider), f["b.box"]);
        Assert.AreEqual(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f["a.box"]))), Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f["b.box"]))));
    }

    [TestMethod]
    public void Base_mac_comes_from_the_engine_identity()
    {
        var epoch = DateTimeOffset.FromUnixTimeSeconds(PackageFixture.Mtime);
        string a = VagrantBoxFiles.BaseMac(IdentitySource.Reproducible("one", epoch));
        Assert.AreEqual(a, VagrantBoxFiles.BaseMac(IdentitySource.Reproducible("one", epoch)));
        Assert.AreNotEqual(a, VagrantBoxFiles.BaseMac(IdentitySource.Reproducible("two", epoch)));
        Assert.StartsWith("080027", a);
        Assert.AreEqual(12, a.Length);
    }

    [TestMethod]
    [DataRow(VagrantProvider.Libvirt)]
    [DataRow(VagrantProvider.VirtualBox)]
    public void Missing_input_fails_naming_it_and_leaves_no_output_nor_scratch(VagrantProvider provider)
    {
        using var f = new PackageFixture();
        string missing = f["missing.qcow2"];
        string box = f["x.box"];
        var e = Assert.Throws<ImageException>(() =>
            VagrantBoxWriter.Write(f.Context(), new() { Disk = new(missing, "qcow2"), Provider = provider, Hardware = Hardware }, box));
        Assert.Contains(missing, e.Message);
        Assert.IsFalse(File.Exists(box));
        Assert.AreEqual(0, Directory.GetFileSystemEntries(f.ScratchDir).Length);
    }

    [TestMethod]
    public void Bad_machine_name_is_refused_before_anything_is_written()
    {
        using var f = new PackageFixture();
        string box = f["x.box"];
        Assert.ThrowsExactly<ArgumentException>(() =>
            VagrantBoxWriter.Write(f.Context(), Request(f, VagrantProvider.VirtualBox) with { Hardware = Hardware with { Name = "a b" } }, box));
        Assert.IsFalse(File.Exists(box));
    }
}
