using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using ImageBuild.Engine;
using ImageBuild.Packaging.Ovf;

namespace ImageBuild.Packaging.Tests.Ovf;

/// <summary>OVAs made from a qemu-img qcow2, checked with GNU tar, sha*sum, xmllint and qemu-img.</summary>
[TestClass]
public sealed class OvaWriterTests
{
    private static readonly VirtualHardware Hardware = new() { Name = "appliance", Cpus = 2, MemoryMiB = 2048, OsType = "debian-64" };

    [TestMethod]
    public void Ova_members_are_descriptor_manifest_disk_in_plain_ustar_headers()
    {
        using var f = new PackageFixture();
        string ova = f["appliance.ova"];
        var result = OvaWriter.Write(f.Context(), new OvaRequest { Disks = [new(f.Source, "qcow2")], Hardware = Hardware }, ova);

        string[] expected = ["appliance.ovf", "appliance.mf", "appliance-disk1.vmdk"];
        CollectionAssert.AreEqual(expected, result.Members.ToArray());
        var listed = f.List(ova);
        CollectionAssert.AreEqual(expected, listed.ToArray());
        Assert.Contains("OVF 1.0", result.Note);
        var descriptor = XDocument.Load(Path.Combine(f.Extract(ova, "x"), "appliance.ovf"));
        Assert.AreEqual(0, OvfRules.CheckArchiveOrder(descriptor, listed).Count);

        // GNU tar's verbose listing: regular files, mode 0644, owner 0/0, the context's mtime (1700000000 = 2023-11-14 22:13 UTC)
        string[] verbose = Tools.Ok("tar", f.Dir, "--numeric-owner", "--utc", "-tvf", ova).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(3, verbose);
        for (int i = 0; i < 3; i++)
            Assert.MatchesRegex(new System.Text.RegularExpressions.Regex($"^-rw-r--r-- 0/0 +[0-9]+ 2023-11-14 22:13 {System.Text.RegularExpressions.Regex.Escape(expected[i])}$"), verbose[i]);

        using var s = File.OpenRead(ova);
        Assert.AreEqual(0, s.Length % 10240, "the archive ends on a 10240-byte record as GNU tar's does");
        var headers = PackageFixture.Headers(s);
        CollectionAssert.AreEqual(expected, headers.Select(h => h.Name).ToArray());
        foreach (var h in headers)
        {
            Assert.AreEqual("ustar\u000000", h.MagicVersion, h.Name);
            Assert.AreEqual('0', h.Type, h.Name);
            Assert.AreEqual("0000644", h.Mode, h.Name);
            Assert.AreEqual("0000000", h.Uid, h.Name);
            Assert.AreEqual("0000000", h.Gid, h.Name);
            Assert.AreEqual(PackageFixture.Mtime, h.Mtime, h.Name);
            Assert.AreEqual("", h.UserName, h.Name);
        }
        Assert.AreEqual(0, Directory.GetFileSystemEntries(f.ScratchDir).Length, "scratch VMDKs are deleted");
    }

    [TestMethod]
    [DataRow(ManifestAlgorithm.Sha256, "sha256sum", "SHA256")]
    [DataRow(ManifestAlgorithm.Sha1, "sha1sum", "SHA1")]
    [DataRow(ManifestAlgorithm.Sha512, "sha512sum", "SHA512")]
    public void Manifest_lines_equal_what_shasum_says_of_the_extracted_files(ManifestAlgorithm algorithm, string tool, string label)
    {
        using var f = new PackageFixture();
        string ova = f["appliance.ova"];
        OvaWriter.Write(f.Context(), new OvaRequest { Disks = [new(f.Source, null)], Hardware = Hardware, Manifest = algorithm }, ova);
        string dir = f.Extract(ova, "x");

        string[] lines = File.ReadAllText(Path.Combine(dir, "appliance.mf")).Split('\n');
        Assert.AreEqual("", lines[^1], "the manifest ends with a newline");
        string sums = Tools.Ok(tool, dir, "appliance.ovf", "appliance-disk1.vmdk").StdOut;
        var expected = sums.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split("  ", 2)).Select(p => $"{label}({p[1]})= {p[0]}").ToArray();
        CollectionAssert.AreEqual(expected, lines[..^1]);
    }

    [TestMethod]
    public void Extracted_vmdk_is_stream_optimized_and_equal_to_the_source_for_qemu_img()
    {
        using var f = new PackageFixture();
        string ova = f["appliance.ova"];
        OvaWriter.Write(f.Context(), new OvaRequest { Disks = [new(f.Source, "qcow2")], Hardware = Hardware }, ova);
        string dir = f.Extract(ova, "x");
        string vmdk = Path.Combine(dir, "appliance-disk1.vmdk");

        using var info = JsonDocument.Parse(Tools.Ok("qemu-img", dir, "info", "--output=json", vmdk).StdOut);
        Assert.AreEqual("vmdk", info.RootElement.GetProperty("format").GetString());
        Assert.AreEqual(PackageFixture.SourceSize, info.RootElement.GetProperty("virtual-size").GetInt64());
        Assert.AreEqual("streamOptimized", info.RootElement.GetProperty("format-specific").GetProperty("data").GetProperty("create-type").GetString());
        Tools.Ok("qemu-img", dir, "compare", "-f", "qcow2", "-F", "vmdk", f.Source, vmdk);

        // the descriptor describes that file: its size, the capacity, and bytes with data
        var d = XDocument.Load(Path.Combine(dir, "appliance.ovf"));
        XNamespace ovf = d.Root!.Name.Namespace;
        Assert.AreEqual(new FileInfo(vmdk).Length.ToString(), (string?)d.Descendants(ovf + "File").Single().Attribute(ovf + "size"));
        var disk = d.Descendants(ovf + "Disk").Single();
        Assert.AreEqual(PackageFixture.SourceSize.ToString(), (string?)disk.Attribute(ovf + "capacity"));
        Assert.AreEqual((5L << 20).ToString(), (string?)disk.Attribute(ovf + "populatedSize"));
        Assert.AreEqual(0, OvfRules.Check(d, Directory.GetFiles(dir).Select(Path.GetFileName).ToList()!).Count);
        Tools.Ok("xmllint", dir, "--noout", "appliance.ovf");
    }

    [TestMethod]
    public void Two_runs_with_different_scratch_paths_give_the_same_bytes()
    {
        using var f = new PackageFixture();
        var request = new OvaRequest { Disks = [new(f.Source, "qcow2")], Hardware = Hardware, Version = OvfVersion.V2_0 };
        Directory.CreateDirectory(f["other-scratch"]);
        OvaWriter.Write(f.Context(), request, f["a.ova"]);
        OvaWriter.Write(f.Context(f["other-scratch"], prefix: "step7-"), request, f["b.ova"]);
        Assert.AreEqual(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f["a.ova"]))), Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f["b.ova"]))));
        string ovf = Encoding.UTF8.GetString(File.ReadAllBytes(f.Extract(f["a.ova"], "x") + "/appliance.ovf"));
        Assert.Contains("http://schemas.dmtf.org/ovf/envelope/2", ovf);
    }

    [TestMethod]
    public void Two_disks_become_two_members_in_references_order()
    {
        using var f = new PackageFixture();
        string second = f["second.raw"];
        Tools.Ok("qemu-img", f.Dir, "create", "-q", "-f", "raw", second, "8M");
        Tools.Ok("qemu-io", f.Dir, "-f", "raw", "-c", "write -P 0x77 4M 64k", second);
        string ova = f["two.ova"];
        var result = OvaWriter.Write(f.Context(), new OvaRequest { Disks = [new(f.Source, "qcow2"), new(second, "raw")], Hardware = Hardware with { DiskController = "sata" } }, ova);
        CollectionAssert.AreEqual(new[] { "appliance.ovf", "appliance.mf", "appliance-disk1.vmdk", "appliance-disk2.vmdk" }, f.List(ova).ToArray());
        Assert.HasCount(4, result.Members);
        string dir = f.Extract(ova, "x");
        Tools.Ok("qemu-img", dir, "compare", "-f", "raw", "-F", "vmdk", second, "appliance-disk2.vmdk");
        // the manifest, rewritten as sha256sum's input, checks every file
        var sums = File.ReadAllLines(Path.Combine(dir, "appliance.mf"))
            .Select(l => { int close = l.IndexOf(")= ", StringComparison.Ordinal); return $"{l[(close + 3)..]}  {l["SHA256(".Length..close]}"; });
        File.WriteAllLines(f["sums"], sums);
        string check = Tools.Ok("sha256sum", dir, "-c", "--strict", f["sums"]).StdOut;
        Assert.AreEqual(3, check.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.EndsWith(": OK", StringComparison.Ordinal)), check);
    }

    [TestMethod]
    public void Missing_input_fails_naming_it_and_leaves_no_output_nor_scratch()
    {
        using var f = new PackageFixture();
        string ova = f["appliance.ova"];
        string missing = f["missing.qcow2"];
        var e = Assert.Throws<ImageException>(() =>
            OvaWriter.Write(f.Context(), new OvaRequest { Disks = [new(f.Source, "qcow2"), new(missing, "qcow2")], Hardware = Hardware }, ova));
        Assert.Contains(missing, e.Message);
        Assert.IsFalse(File.Exists(ova));
        Assert.AreEqual(0, Directory.GetFileSystemEntries(f.ScratchDir).Length);
    }

    [TestMethod]
    public void Progress_rises_to_100_and_cancellation_stops_and_cleans_up()
    {
        using var f = new PackageFixture();
        var seen = new List<double>();
        OvaWriter.Write(f.Context(progress: seen.Add), new OvaRequest { Disks = [new(f.Source, "qcow2")], Hardware = Hardware }, f["a.ova"]);
        Assert.IsNotEmpty(seen);
        Assert.AreEqual(100, seen[^1], 1e-9);
        for (int i = 1; i < seen.Count; i++)
            Assert.IsTrue(seen[i] >= seen[i - 1], $"progress went back from {seen[i - 1]} to {seen[i]}");

        string ova = f["b.ova"];
        Assert.Throws<OperationCanceledException>(() =>
            OvaWriter.Write(f.Context(progress: p => { if (p > 85) throw new OperationCanceledException(); }),
                new OvaRequest { Disks = [new(f.Source, "qcow2")], Hardware = Hardware }, ova));
        Assert.IsFalse(File.Exists(ova));
        Assert.AreEqual(0, Directory.GetFileSystemEntries(f.ScratchDir).Length);
    }

    [TestMethod]
    public void A_cancelled_token_stops_before_any_output()
    {
        using var f = new PackageFixture();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        string ova = f["a.ova"];
        Assert.Throws<OperationCanceledException>(() =>
            OvaWriter.Write(f.Context() with { Cancellation = cts.Token }, new OvaRequest { Disks = [new(f.Source, "qcow2")], Hardware = Hardware }, ova));
        Assert.IsFalse(File.Exists(ova));
        Assert.AreEqual(0, Directory.GetFileSystemEntries(f.ScratchDir).Length);
    }
}
