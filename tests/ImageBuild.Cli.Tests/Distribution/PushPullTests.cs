using System.Text.Json;
using ImageBuild.Cli.Tests.Oracle;
using ImageBuild.Tests.Shared;
using static ImageBuild.Cli.Tests.Distribution.RegistryCli;

namespace ImageBuild.Cli.Tests.Distribution;

/// <summary>
/// imagebuild push and pull against a real registry (the CNCF distribution server, anonymous, plain HTTP on
/// loopback): round trips of a qcow2, a two-file VMDK and a sparse raw of several GiB; skopeo reads what we push as
/// ordinary OCI; the containerDisk layout extracts with tar as KubeVirt expects; tampered content is refused.
/// </summary>
[TestClass]
[RequiresTool(TestRegistry.Tool)]
public sealed class PushPullTests
{
    private static TestRegistry? _registry;

    private static TestRegistry Registry => _registry ?? throw new AssertFailedException("the registry did not start");

    [ClassInitialize]
    public static void StartRegistry(TestContext context) => _registry = TestRegistry.Start(new TestRegistryOptions());

    [ClassCleanup]
    public static void StopRegistry() => _registry?.Dispose();

    private static string Ref(string repositoryAndTag) => Registry.Reference(repositoryAndTag);

    /// <summary>A 64 MiB qcow2 with data at a few places, made by imagebuild from a raw file.</summary>
    private static void MakeQcow2(string dir, string name = "disk.qcow2")
    {
        WriteSparse(Path.Combine(dir, "data.raw"), 64 << 20, (0, 0xEB), (1 << 20, 0x11), ((64 << 20) - 4096, 0x22));
        Ok(ToolUnderTest.Run(dir, "convert", "-f", "raw", "-O", "qcow2", "data.raw", name));
        File.Delete(Path.Combine(dir, "data.raw"));
    }

    [TestMethod]
    public void Qcow2RoundTripsByTagAndByDigest()
    {
        using var tmp = new TempDir();
        MakeQcow2(tmp.Path);
        string digest = Push(tmp.Path, Ref("rt/qcow2:v1"), "--plain-http", "disk.qcow2", Ref("rt/qcow2:v1"));

        Directory.CreateDirectory(tmp["out"]);
        var pulled = Ok(ToolUnderTest.Run(tmp.Path, "pull", "--plain-http", Ref("rt/qcow2:v1"), "out"));
        Assert.AreEqual("out/disk.qcow2\n", pulled.StdOut);
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["disk.qcow2"]), File.ReadAllBytes(tmp["out/disk.qcow2"]));

        var byDigest = Ok(ToolUnderTest.Run(tmp.Path, "pull", "--plain-http", Ref("rt/qcow2@" + digest), "copy.qcow2"));
        Assert.AreEqual("copy.qcow2\n", byDigest.StdOut);
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["disk.qcow2"]), File.ReadAllBytes(tmp["copy.qcow2"]));

        // the same image pushed again is the same manifest
        Assert.AreEqual(digest, Push(tmp.Path, Ref("rt/qcow2:v2"), "--plain-http", "disk.qcow2", Ref("rt/qcow2:v2")));
    }

    [TestMethod]
    [RequiresTool("skopeo")]
    public void SkopeoSeesAnOrdinaryOciArtifactAndCopiesIt()
    {
        using var tmp = new TempDir();
        MakeQcow2(tmp.Path);
        string digest = Push(tmp.Path, Ref("sk/art:v1"), "--plain-http", "disk.qcow2", Ref("sk/art:v1"));

        using var manifest = InspectRaw(Registry.Host, "sk/art:v1");
        var root = manifest.RootElement;
        Assert.AreEqual(2, root.GetProperty("schemaVersion").GetInt32());
        Assert.AreEqual("application/vnd.oci.image.manifest.v1+json", root.GetProperty("mediaType").GetString());
        Assert.AreEqual("application/vnd.imagebuild.image.v1", root.GetProperty("artifactType").GetString());
        Assert.AreEqual("application/vnd.imagebuild.image.config.v1+json", root.GetProperty("config").GetProperty("mediaType").GetString());
        var layer = root.GetProperty("layers").EnumerateArray().Single();
        Assert.AreEqual("application/vnd.imagebuild.disk.qcow2.v1.tar+zstd", layer.GetProperty("mediaType").GetString());
        Assert.AreEqual("disk.qcow2", layer.GetProperty("annotations").GetProperty("org.opencontainers.image.title").GetString());

        Skopeo("copy", "--src-tls-verify=false", $"docker://{Registry.Host}/sk/art:v1", "dir:" + tmp["copy"]);
        string layerHex = layer.GetProperty("digest").GetString()!["sha256:".Length..];
        Assert.IsTrue(File.Exists(Path.Combine(tmp["copy"], layerHex)), string.Join(", ", Entries(tmp["copy"])));
        Assert.IsTrue(File.Exists(Path.Combine(tmp["copy"], "manifest.json")));
        // and into an OCI layout, our manifest kept byte for byte
        Skopeo("copy", "--src-tls-verify=false", $"docker://{Registry.Host}/sk/art:v1", $"oci:{tmp["layout"]}:v1");
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(tmp["layout"], "index.json")));
        Assert.AreEqual(digest, index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString());
        Assert.IsTrue(File.Exists(Path.Combine(tmp["layout"], "blobs", "sha256", layerHex)));
    }

    [TestMethod]
    [RequiresTool("skopeo")]
    public void VmdkOfTwoFilesRoundTripsAsTwoTitledLayers()
    {
        using var tmp = new TempDir();
        Ok(ToolUnderTest.Run(tmp.Path, "create", "-q", "-f", "vmdk", "-o", "subformat=monolithicFlat", "disk.vmdk", "32M"));
        using (var flat = new FileStream(tmp["disk-flat.vmdk"], FileMode.Open, FileAccess.Write))
        {
            flat.Position = 5 << 20;
            flat.Write(Enumerable.Repeat((byte)0x77, 8192).ToArray());
        }
        Push(tmp.Path, Ref("rt/vmdk:v1"), "--plain-http", "disk.vmdk", Ref("rt/vmdk:v1"));

        var pulled = Ok(ToolUnderTest.Run(tmp.Path, "pull", "--plain-http", Ref("rt/vmdk:v1"), "vm"));
        Assert.AreEqual("vm/disk.vmdk\nvm/disk-flat.vmdk\n", pulled.StdOut);
        foreach (string name in new[] { "disk.vmdk", "disk-flat.vmdk" })
            CollectionAssert.AreEqual(File.ReadAllBytes(tmp[name]), File.ReadAllBytes(Path.Combine(tmp["vm"], name)), name);
        Ok(ToolUnderTest.Run(tmp.Path, "compare", "disk.vmdk", "vm/disk.vmdk"));

        using var manifest = InspectRaw(Registry.Host, "rt/vmdk:v1");
        var titles = manifest.RootElement.GetProperty("layers").EnumerateArray()
            .Select(l => l.GetProperty("annotations").GetProperty("org.opencontainers.image.title").GetString()).ToList();
        CollectionAssert.AreEqual(new[] { "disk.vmdk", "disk-flat.vmdk" }, titles);
    }

    [TestMethod]
    [RequiresTool("skopeo")]
    public void SparseRawOfSeveralGiBTravelsSmall()
    {
        using var tmp = new TempDir();
        long size = 6L << 30;
        WriteSparse(tmp["big.raw"], size, (0, 1), (3L << 30, 2), (size - 4096, 3));
        Push(tmp.Path, Ref("rt/raw:big"), "--plain-http", "-f", "raw", "big.raw", Ref("rt/raw:big"));

        using (var manifest = InspectRaw(Registry.Host, "rt/raw:big"))
        {
            long layerSize = manifest.RootElement.GetProperty("layers")[0].GetProperty("size").GetInt64();
            Assert.IsLessThan(64 << 10, layerSize, "the holes do not travel");
        }
        Ok(ToolUnderTest.Run(tmp.Path, "pull", "--plain-http", Ref("rt/raw:big"), "copy.raw"));
        Assert.AreEqual(size, new FileInfo(tmp["copy.raw"]).Length);
        Assert.IsLessThan(1 << 20, AllocatedBytes(tmp["copy.raw"]), "the copy is sparse");
        using var copy = File.OpenRead(tmp["copy.raw"]);
        foreach (var (offset, value) in new[] { (0L, (byte)1), (3L << 30, (byte)2), (size - 4096, (byte)3), (1L << 30, (byte)0) })
        {
            byte[] block = new byte[4096];
            copy.Position = offset;
            copy.ReadExactly(block);
            Assert.IsTrue(block.All(b => b == value), $"block at {offset}");
        }
    }

    [TestMethod]
    [RequiresTool("skopeo")]
    [RequiresTool("tar")]
    public void ContainerDiskIsAnOrdinaryImageWhoseLayerHoldsDiskOwnedByQemu()
    {
        using var tmp = new TempDir();
        MakeQcow2(tmp.Path, "fedora.qcow2");
        string digest = Push(tmp.Path, Ref("kv/fedora:41"), "--plain-http", "--containerdisk", "fedora.qcow2", Ref("kv/fedora:41"));

        using (var manifest = InspectRaw(Registry.Host, "kv/fedora:41"))
        {
            var root = manifest.RootElement;
            Assert.IsFalse(root.TryGetProperty("artifactType", out _));
            Assert.AreEqual("application/vnd.oci.image.config.v1+json", root.GetProperty("config").GetProperty("mediaType").GetString());
            Assert.AreEqual("application/vnd.oci.image.layer.v1.tar+gzip", root.GetProperty("layers").EnumerateArray().Single().GetProperty("mediaType").GetString());
        }
        using (var config = JsonDocument.Parse(Skopeo("inspect", "--config", "--raw", "--tls-verify=false", $"docker://{Registry.Host}/kv/fedora:41").StdOut))
        {
            Assert.AreEqual("amd64", config.RootElement.GetProperty("architecture").GetString());
            Assert.AreEqual("linux", config.RootElement.GetProperty("os").GetString());
            Assert.IsFalse(config.RootElement.TryGetProperty("created", out _), "nothing from the clock");
        }

        // skopeo copies it into an OCI layout; its layer is a tar of disk/fedora.qcow2 owned 107:107, mode 0440
        Skopeo("copy", "--src-tls-verify=false", $"docker://{Registry.Host}/kv/fedora:41", $"oci:{tmp["layout"]}:41");
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(tmp["layout"], "index.json")));
        string manifestHex = index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!["sha256:".Length..];
        Assert.AreEqual(digest, "sha256:" + manifestHex, "skopeo kept our manifest byte for byte");
        using var copied = JsonDocument.Parse(File.ReadAllText(Path.Combine(tmp["layout"], "blobs", "sha256", manifestHex)));
        string layerPath = Path.Combine(tmp["layout"], "blobs", "sha256", copied.RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!["sha256:".Length..]);
        string listing = ExternalTools.RunOk("tar", tmp.Path, "--numeric-owner", "-tvzf", layerPath).StdOut;
        StringAssert.Contains(listing, "-r--r----- 107/107");
        StringAssert.Contains(listing, " disk/fedora.qcow2\n");
        Directory.CreateDirectory(tmp["x"]);
        ExternalTools.RunOk("tar", tmp["x"], "-xzf", layerPath);
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["fedora.qcow2"]), File.ReadAllBytes(Path.Combine(tmp["x"], "disk", "fedora.qcow2")));
        Skopeo("copy", "--src-tls-verify=false", $"docker://{Registry.Host}/kv/fedora:41", "dir:" + tmp["dir"]);
        Assert.IsTrue(File.Exists(Path.Combine(tmp["dir"], Path.GetFileName(layerPath))), "skopeo's dir: copy holds the same layer");

        // imagebuild pulls it back; a trailing slash makes DEST a directory
        var pulled = Ok(ToolUnderTest.Run(tmp.Path, "pull", "--plain-http", Ref("kv/fedora:41"), "back/"));
        Assert.AreEqual("back/fedora.qcow2\n", pulled.StdOut);
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["fedora.qcow2"]), File.ReadAllBytes(tmp["back/fedora.qcow2"]));

        // deterministic: the same disk gives the same manifest; another architecture another config
        Assert.AreEqual(digest, Push(tmp.Path, Ref("kv/fedora:again"), "--plain-http", "--containerdisk", "fedora.qcow2", Ref("kv/fedora:again")));
        Push(tmp.Path, Ref("kv/fedora:arm"), "--plain-http", "--containerdisk", "--arch", "arm64", "fedora.qcow2", Ref("kv/fedora:arm"));
        using var arm = JsonDocument.Parse(Skopeo("inspect", "--config", "--raw", "--tls-verify=false", $"docker://{Registry.Host}/kv/fedora:arm").StdOut);
        Assert.AreEqual("arm64", arm.RootElement.GetProperty("architecture").GetString());
    }

    [TestMethod]
    public async Task AnImageIndexGivesTheManifestOfTheWantedArchitecture()
    {
        using var tmp = new TempDir();
        MakeQcow2(tmp.Path, "amd.qcow2");
        WriteSparse(tmp["arm.raw"], 1 << 20, (4096, 0x64));
        string amd = Push(tmp.Path, Ref("kv/multi:amd64"), "--plain-http", "--containerdisk", "amd.qcow2", Ref("kv/multi:amd64"));
        string arm = Push(tmp.Path, Ref("kv/multi:arm64"), "--plain-http", "--containerdisk", "--arch", "arm64", "-f", "raw", "arm.raw", Ref("kv/multi:arm64"));

        // an index as multi-architecture builds publish it
        using var client = new ImageBuild.Oci.Registry.RegistryClient(ImageBuild.Oci.Registry.OciReference.Parse(Ref("kv/multi")), new() { PlainHttp = true });
        var ct = CancellationToken.None;
        long amdSize = (await client.GetManifestAsync(amd, ct))!.Content.Length, armSize = (await client.GetManifestAsync(arm, ct))!.Content.Length;
        string Entry(string digest, long size, string arch) =>
            "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + digest + "\",\"size\":" + size +
            ",\"platform\":{\"architecture\":\"" + arch + "\",\"os\":\"linux\"}}";
        byte[] index = System.Text.Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{Entry(arm, armSize, "arm64")}},{{Entry(amd, amdSize, "amd64")}}]}""");
        await client.PutManifestAsync("all", index, "application/vnd.oci.image.index.v1+json", ct);

        Ok(ToolUnderTest.Run(tmp.Path, "pull", "--plain-http", Ref("kv/multi:all"), "default.qcow2"));
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["amd.qcow2"]), File.ReadAllBytes(tmp["default.qcow2"]));
        Ok(ToolUnderTest.Run(tmp.Path, "pull", "--plain-http", "--arch", "arm64", Ref("kv/multi:all"), "other.raw"));
        CollectionAssert.AreEqual(File.ReadAllBytes(tmp["arm.raw"]), File.ReadAllBytes(tmp["other.raw"]));
        AssertOneLineFailure(ToolUnderTest.Run(tmp.Path, "pull", "--plain-http", "--arch", "s390x", Ref("kv/multi:all"), "none.raw"),
            Ref("kv/multi:all") + ": the image index has no OCI manifest for linux/s390x (it has: linux/arm64, linux/amd64)");
        Assert.IsFalse(File.Exists(tmp["none.raw"]));
    }

    [TestMethod]
    public void ContainerDiskRefusesWhatKubeVirtCannotBoot()
    {
        using var tmp = new TempDir();
        Ok(ToolUnderTest.Run(tmp.Path, "create", "-q", "-f", "vmdk", "-o", "subformat=monolithicFlat", "disk.vmdk", "1M"));
        AssertOneLineFailure(ToolUnderTest.Run(tmp.Path, "push", "--plain-http", "--containerdisk", "disk.vmdk", Ref("kv/no:1")),
            Ref("kv/no:1") + ": disk.vmdk: a containerDisk holds a qcow2 or raw disk");
        Ok(ToolUnderTest.Run(tmp.Path, "create", "-q", "-f", "qcow2", "-o", "data_file=disk.data", "split.qcow2", "1M"));
        AssertOneLineFailure(ToolUnderTest.Run(tmp.Path, "push", "--plain-http", "--containerdisk", "split.qcow2", Ref("kv/no:2")),
            Ref("kv/no:2") + ": split.qcow2: a containerDisk holds one disk file");
        Ok(ToolUnderTest.Run(tmp.Path, "create", "-q", "-f", "qcow2", "base.qcow2", "1M"));
        Ok(ToolUnderTest.Run(tmp.Path, "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2"));
        AssertOneLineFailure(ToolUnderTest.Run(tmp.Path, "push", "--plain-http", "top.qcow2", Ref("kv/no:3")),
            "'top.qcow2' has a backing file ('base.qcow2')");
    }

    [TestMethod]
    public void ATamperedLayerOrManifestFailsInOneLineAndLeavesNothing()
    {
        using var tmp = new TempDir();
        MakeQcow2(tmp.Path);
        string digest = Push(tmp.Path, Ref("bad/layer:v1"), "--plain-http", "disk.qcow2", Ref("bad/layer:v1"));
        string cdDigest = Push(tmp.Path, Ref("bad/cd:v1"), "--plain-http", "--containerdisk", "disk.qcow2", Ref("bad/cd:v1"));
        string[] before = Entries(tmp.Path);

        // a flipped byte in the manifest: by digest the registry's answer no longer matches
        string manifestPath = Registry.BlobPath(digest);
        string manifestText = File.ReadAllText(manifestPath);
        File.WriteAllText(manifestPath, manifestText.Replace("disk.qcow2", "disk.qcow3", StringComparison.Ordinal));
        AssertOneLineFailure(ToolUnderTest.Run(tmp.Path, "pull", "--plain-http", Ref("bad/layer@" + digest), "dest.qcow2"), Ref("bad/layer@"));
        // by tag the title no longer matches the config's file names
        AssertOneLineFailure(ToolUnderTest.Run(tmp.Path, "pull", "--plain-http", Ref("bad/layer:v1"), "dest.qcow2"), Ref("bad/layer:v1"), "titled 'disk.qcow3'");
        File.WriteAllText(manifestPath, manifestText);

        // a flipped byte in each layer blob
        foreach (var (reference, manifestDigest) in new[] { ("bad/layer:v1", digest), ("bad/cd:v1", cdDigest) })
        {
            using var manifest = JsonDocument.Parse(File.ReadAllText(Registry.BlobPath(manifestDigest)));
            string blob = Registry.BlobPath(manifest.RootElement.GetProperty("layers")[0].GetProperty("digest").GetString()!);
            byte[] bytes = File.ReadAllBytes(blob);
            bytes[bytes.Length / 2] ^= 0x40;
            File.WriteAllBytes(blob, bytes);
            AssertOneLineFailure(ToolUnderTest.Run(tmp.Path, "pull", "--plain-http", Ref(reference), "dest.qcow2"), "oci://");
            AssertOneLineFailure(ToolUnderTest.Run(tmp.Path, "pull", "--plain-http", Ref(reference), "newdir/"), "oci://");
        }
        CollectionAssert.AreEqual(before, Entries(tmp.Path), "a failed pull leaves nothing, not even temporaries");
    }

    [TestMethod]
    public void UsageErrorsAndAnUnreachableRegistry()
    {
        using var tmp = new TempDir();
        MakeQcow2(tmp.Path);
        foreach (string[] args in new[]
        {
            new[] { "push", "disk.qcow2", Ref("u/x@sha256:" + new string('a', 64)) },
            new[] { "push", "--arch", "arm64", "disk.qcow2", Ref("u/x:1") },
            new[] { "push", "disk.qcow2" },
            new[] { "push", "disk.qcow2", "docker://somewhere/x" },
            new[] { "pull", Ref("u/x:1") },
            new[] { "pull", "--bogus", Ref("u/x:1"), "d" },
        })
        {
            var r = ToolUnderTest.Run(tmp.Path, args);
            Assert.AreEqual(1, r.ExitCode, string.Join(' ', args));
            StringAssert.EndsWith(r.StdErr, "Try 'imagebuild --help' for more information\n", string.Join(' ', args));
        }
        AssertOneLineFailure(ToolUnderTest.Run(tmp.Path, "pull", "--plain-http", Ref("u/none:1"), "d"), Ref("u/none:1"), "no such manifest");
        AssertOneLineFailure(ToolUnderTest.Run(tmp.Path, "pull", "--plain-http", "oci://127.0.0.1:1/u/x:1", "d"), "oci://127.0.0.1:1/u/x");
        Assert.IsFalse(File.Exists(tmp["d"]));
    }
}
