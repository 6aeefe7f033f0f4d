namespace ImageBuild.Cli.Tests.Unit;

/// <summary>Runs imagebuild in-process and checks stdout, stderr and exit codes of the error paths and raw images.</summary>
[TestClass]
public sealed class ProgramTests
{
    private const string TryHelp = "Try 'imagebuild --help' for more information\n";
    private string _dir = "";

    [TestInitialize]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "imagebuild-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static (int Rc, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int rc = Program.Run(args, o, e);
        return (rc, o.ToString(), e.ToString());
    }

    private static void AssertUsage((int Rc, string Out, string Err) r, string message)
    {
        Assert.AreEqual(1, r.Rc);
        Assert.AreEqual("", r.Out);
        Assert.AreEqual($"imagebuild: {message}\n" + TryHelp, r.Err);
    }

    [TestMethod]
    public void GlobalUsageErrors()
    {
        AssertUsage(Run(), "Not enough arguments");
        AssertUsage(Run("foo"), "Command not found: foo");
        AssertUsage(Run("--foo"), "unrecognized option '--foo'");
        AssertUsage(Run("-x"), "unrecognized option '-x'");
        AssertUsage(Run("-T"), "missing argument for option '-T'");
        Assert.AreEqual((0, "", ""), Run("-T", "foo"));
    }

    [TestMethod]
    public void HelpAndVersion()
    {
        var h = Run("--help");
        Assert.AreEqual(0, h.Rc);
        StringAssert.StartsWith(h.Out, $"imagebuild version 7.2.0 (ImageBuild {HelpText.Version})\n");
        StringAssert.Contains(h.Out, "usage: imagebuild [standard options] command [command options]\n");
        StringAssert.Contains(h.Out, "\nSupported formats: ");
        StringAssert.Contains(h.Out, " raw");
        // a verb's -h/--help is its own help (qemu-img 10.1), not the global one (7.2): see CommandHelpTests
        Assert.AreNotEqual(h.Out, Run("info", "-h").Out);
        var v = Run("-V");
        Assert.AreEqual(0, v.Rc);
        StringAssert.StartsWith(v.Out, $"imagebuild version 7.2.0 (ImageBuild {HelpText.Version})\n");
        // The version comes from build/version.props (+ git for local builds), never a hard-coded 0.1.0.
        StringAssert.Matches(HelpText.Version, new System.Text.RegularExpressions.Regex(@"^\d+\.\d+\.\d+(-(dev\.\d+\.g[0-9a-f]{8}|local|[0-9A-Za-z.-]+))?$"));
        Assert.AreNotEqual("0.1.0", HelpText.Version);
        Assert.AreEqual(2, v.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [TestMethod]
    public void CommandUsageErrors()
    {
        AssertUsage(Run("info"), "Expecting one image file name");
        AssertUsage(Run("info", "a", "b"), "Expecting one image file name");
        AssertUsage(Run("info", "-qz", "a"), "unrecognized option 'info'");
        AssertUsage(Run("info", "--output"), "missing argument for option '--output'");
        AssertUsage(Run("create"), "Expecting image file name");
        AssertUsage(Run("create", "a", "1", "2"), "Unexpected argument: 2");
        AssertUsage(Run("check", "-r", "foo", "a"), "Unknown option value for -r (expecting 'leaks' or 'all'): foo");
        AssertUsage(Run("compare", "a"), "Expecting two image file names");
        AssertUsage(Run("convert", "-s", "x", "a", "b"), "unrecognized option '-s'");
    }

    [TestMethod]
    public void PlainErrorsHaveNoTryHelpLine()
    {
        Assert.AreEqual((1, "", "imagebuild: --output must be used with human or json as argument.\n"), Run("info", "--output=xml", "a"));
        Assert.AreEqual((1, "", "imagebuild: Either --size N or one filename must be specified.\n"), Run("measure"));
        Assert.AreEqual((1, "", "imagebuild: At most one filename argument is allowed.\n"), Run("measure", "a", "b"));
        Assert.AreEqual((1, "", "imagebuild: --image-opts, -f, and -l require a filename argument.\n"), Run("measure", "-f", "raw"));
        Assert.AreEqual((1, "", "imagebuild: --size N cannot be used together with a filename.\n"), Run("measure", "--size", "1G", "a"));
        Assert.AreEqual((1, "", "imagebuild: Invalid option list: ,x\n"), Run("create", "-o", ",x", "a", "1"));
        Assert.AreEqual((1, "", "imagebuild: Must specify image file name\n"), Run("convert", "x"));
        Assert.AreEqual((1, "", "imagebuild: -o has no effect when skipping image creation\n"), Run("convert", "-n", "-o", "a=b", "x", "y"));
        Assert.AreEqual((1, "", "imagebuild: --target-is-zero requires use of -n flag\n"), Run("convert", "--target-is-zero", "x", "y"));
        Assert.AreEqual((1, "", "imagebuild: Invalid number of coroutines. Allowed number of coroutines is between 1 and 16\n"), Run("convert", "-m", "17", "x", "y"));
        Assert.AreEqual((1, "", "imagebuild: Invalid buffer size for sparse output specified. Valid sizes are multiples of 512 up to 16777216. Select 0 to disable sparse detection (fully allocates output).\n"),
            Run("convert", "-S", "100", "x", "y"));
        Assert.AreEqual((1, "", "imagebuild: --target-image-opts requires use of -n flag\n"), Run("convert", "--target-image-opts", "-o", "help", "x", "y"));
    }

    [TestMethod]
    public void SizeErrors()
    {
        Assert.AreEqual((1, "", "imagebuild: Invalid image size specified. You may use k, M, G, T, P or E suffixes for\nimagebuild: kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.\n"),
            Run("create", P("a"), "1.5"));
        Assert.AreEqual((1, "", "imagebuild: Invalid image size specified. Must be between 0 and 9223372036854775807.\n"), Run("create", P("a"), "8E"));
        Assert.AreEqual((1, "", "imagebuild: Invalid start offset specified. You may use k, M, G, T, P or E suffixes for\nimagebuild: kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.\n"),
            Run("map", "--start-offset=x", "a"));
        Assert.IsFalse(File.Exists(P("a")));
    }

    [TestMethod]
    public void CreateRawThenInfoMapMeasureCheck()
    {
        string img = P("r.raw");
        var c = Run("create", img, "1M");
        Assert.AreEqual((0, $"Formatting '{img}', fmt=raw size=1048576\n", ""), c);
        Assert.AreEqual(1048576, new FileInfo(img).Length);

        var info = Run("info", "-f", "raw", img);
        Assert.AreEqual(0, info.Rc, info.Err);
        StringAssert.StartsWith(info.Out, $"image: {img}\nfile format: raw\nvirtual size: 1 MiB (1048576 bytes)\ndisk size: ");

        var json = Run("info", "--output=json", img);
        Assert.AreEqual(0, json.Rc, json.Err);
        StringAssert.StartsWith(json.Out, "{\n    \"virtual-size\": 1048576,\n    \"filename\": ");
        StringAssert.EndsWith(json.Out, "    \"dirty-flag\": false\n}\n");

        var map = Run("map", "--output=json", img);
        Assert.AreEqual(0, map.Rc, map.Err);
        Assert.AreEqual("[{ \"start\": 0, \"length\": 4096, \"depth\": 0, \"present\": true, \"zero\": false, \"data\": true, \"offset\": 0},\n" +
                        "{ \"start\": 4096, \"length\": 1044480, \"depth\": 0, \"present\": true, \"zero\": true, \"data\": false, \"offset\": 4096}]\n", map.Out);
        var human = Run("map", img);
        Assert.AreEqual($"Offset          Length          Mapped to       File\n0               0x1000          0               {img}\n", human.Out);
        Assert.AreEqual("[{ \"start\": 2097152, \"length\": 0, \"depth\": 0, \"present\": false, \"zero\": false, \"data\": false}]\n",
            Run("map", "--output=json", "--start-offset", "2M", img).Out);

        Assert.AreEqual((0, "required size: 1048576\nfully allocated size: 1048576\n", ""), Run("measure", img));
        Assert.AreEqual((0, "{\n    \"required\": 1073741824,\n    \"fully-allocated\": 1073741824\n}\n", ""), Run("measure", "--output=json", "--size", "1G"));

        Assert.AreEqual((63, "", "imagebuild: This image format does not support checks\n"), Run("check", img));
        var rw = Run("check", "-r", "all", img);
        Assert.AreEqual(63, rw.Rc);
        StringAssert.StartsWith(rw.Err, $"WARNING: Image format was not specified for '{img}' and probing guessed raw.\n");
        Assert.AreEqual(1, Run("check", "-U", "-r", "all", img).Rc);
    }

    [TestMethod]
    public void CreateQuietHexSuffixWarningAndOptionErrors()
    {
        string img = P("h.raw");
        Assert.AreEqual((0, "", "imagebuild: warning: Using a multiplier suffix on hex numbers is deprecated: 0x10k\n"), Run("create", "-q", img, "0x10k"));
        Assert.AreEqual(16384, new FileInfo(img).Length);
        Assert.AreEqual((1, "", $"imagebuild: {img}: Invalid parameter 'foo'\n"), Run("create", "-o", "foo=1", img, "1"));
        Assert.AreEqual((1, "", $"imagebuild: {img}: The image size must be specified only once\n"), Run("create", "-o", "size=1", img, "2"));
        Assert.AreEqual((1, "", $"imagebuild: {img}: Unknown file format 'nope'\n"), Run("create", "-f", "nope", img, "1"));
        Assert.AreEqual((1, "", $"imagebuild: {img}: Image creation needs a size parameter\n"), Run("create", img));
        Assert.AreEqual((1, "", "imagebuild: Invalid parameter 'foo'\nimagebuild: Invalid options for file format 'raw'\n"), Run("measure", "-o", "foo=1", "--size", "1G"));
        Assert.AreEqual((1, "", "imagebuild: Unknown file format 'foo'\n"), Run("measure", "-O", "foo", "--size", "1G"));
    }

    [TestMethod]
    public void OptionHelp()
    {
        Assert.AreEqual((0, "Supported raw options:\n  size=<size>            - Virtual disk size\n\nThe protocol level may support further options.\nSpecify the target filename to include those options.\n", ""),
            Run("create", "-o", "size=1,help"));
        var withFile = Run("create", "-o", "?", P("x.raw"));
        Assert.AreEqual(0, withFile.Rc);
        Assert.AreEqual("Supported options:\n" +
                        "  extent_size_hint=<size> - Extent size hint for the image file, 0 to disable\n" +
                        "  nocow=<bool (on/off)>  - Turn off copy-on-write (valid only on btrfs)\n" +
                        "  preallocation=<str>    - Preallocation mode (allowed values: off, falloc, full)\n" +
                        "  size=<size>            - Virtual disk size\n", withFile.Out);
        Assert.AreEqual((1, "", "imagebuild: Unknown file format 'foo'\n"), Run("create", "-f", "foo", "-o", "help"));
        Assert.AreEqual(0, Run("convert", "-O", "raw", "-o", "help").Rc);
    }

    [TestMethod]
    public void OpenFailures()
    {
        string missing = P("missing.img");
        Assert.AreEqual((1, "", $"imagebuild: Could not open '{missing}': Could not open '{missing}': No such file or directory\n"), Run("info", missing));
        Assert.AreEqual(1, Run("map", missing).Rc);
        Assert.AreEqual(1, Run("check", missing).Rc);
        var cmp = Run("compare", "-p", missing, missing);
        Assert.AreEqual(2, cmp.Rc);
        Assert.AreEqual("\n", cmp.Out);
        var conv = Run("convert", "-p", missing, P("out"));
        Assert.AreEqual(1, conv.Rc);
        Assert.AreEqual("    (0.00/100%)\r\n", conv.Out);
        Assert.AreEqual((2, "", "imagebuild: Invalid source cache option: bogus\n"), Run("compare", "-T", "bogus", "a", "b"));
    }

    [TestMethod]
    public void CompareAndConvertRaw()
    {
        string a = P("a.raw"), b = P("b.raw");
        Assert.AreEqual(0, Run("create", "-q", a, "1M").Rc);
        Assert.AreEqual((0, "", ""), Run("convert", "-f", "raw", "-O", "raw", a, b));
        Assert.AreEqual((0, "Images are identical.\n", ""), Run("compare", a, b));
        Assert.AreEqual((0, "    (0.00/100%)\r    (100.00/100%)\rImages are identical.\n\n", ""), Run("compare", "-p", a, b));
        Assert.AreEqual((0, "", ""), Run("compare", "-q", a, b));
        using (var f = File.OpenWrite(b))
        {
            f.Position = 5000;
            f.WriteByte(1);
        }
        Assert.AreEqual((1, "Content mismatch at offset 4608!\n", ""), Run("compare", a, b));
        var p = Run("convert", "-p", "-O", "raw", "-f", "raw", a, P("c.raw"));
        Assert.AreEqual(0, p.Rc, p.Err);
        StringAssert.StartsWith(p.Out, "    (0.00/100%)\r");
        StringAssert.EndsWith(p.Out, "    (100.00/100%)\r\n");
        Assert.AreEqual(1, p.Out.Split("(0.00/100%)").Length - 1);
    }

    [TestMethod]
    public void CompareProgressPrintsTheSizeWarningBeforeTheTail()
    {
        string a = P("a.raw"), b = P("b.raw");
        Assert.AreEqual(0, Run("create", "-q", a, "1M").Rc);
        Assert.AreEqual(0, Run("create", "-q", b, "2M").Rc);
        // Captured from qemu-img 7.2: compare -p -f raw -F raw a.raw b.raw
        Assert.AreEqual((0, "    (0.00/100%)\r    (50.00/100%)\rWarning: Image size mismatch!\n    (100.00/100%)\rImages are identical.\n\n", ""),
            Run("compare", "-p", "-f", "raw", "-F", "raw", a, b));
        Assert.AreEqual((0, "Warning: Image size mismatch!\nImages are identical.\n", ""), Run("compare", "-f", "raw", "-F", "raw", a, b));
    }

    [TestMethod]
    public void BackingFilesAreNamedOnceInOpenErrors()
    {
        string top = P("t.qcow2"), gone = P("gone.qcow2");
        Assert.AreEqual(0, Run("create", "-q", "-f", "qcow2", "-u", "-b", gone, "-F", "qcow2", top, "1M").Rc);
        Assert.AreEqual((1, "", $"imagebuild: Could not open '{top}': Could not open backing file: Could not open '{gone}': No such file or directory\n"),
            Run("map", top));
        Assert.AreEqual((1, "", $"imagebuild: {P("n.qcow2")}: Could not open '{gone}': No such file or directory\nCould not open backing image.\n"),
            Run("create", "-f", "qcow2", "-b", gone, "-F", "qcow2", P("n.qcow2")));
        Assert.AreEqual((1, "", $"imagebuild: Could not open '{_dir}': 'file' driver requires '{_dir}' to be a regular file\n"), Run("info", _dir));
        // info does not open the backing file; --backing-chain does, naming it as the user's image.
        Assert.AreEqual(0, Run("info", top).Rc);
        Assert.AreEqual((1, $"", $"imagebuild: Could not open '{gone}': Could not open '{gone}': No such file or directory\n"), Run("info", "--backing-chain", top));
    }

    [TestMethod]
    public void MissingBackingFormatHintHasNoTrailingNewlineAsInQemu()
    {
        string b = P("b.qcow2"), t = P("t.qcow2");
        Assert.AreEqual(0, Run("create", "-q", "-f", "qcow2", b, "1M").Rc);
        Assert.AreEqual((1, "", $"imagebuild: {t}: Backing file specified without backing format\nDetected format of qcow2."),
            Run("create", "-f", "qcow2", "-b", b, t));
    }

    [TestMethod]
    public void MeasureLetsGetoptComplainThenShowsHelp()
    {
        // 7.2's measure alone parses without ':' in its option string: glibc prints the message, qemu-img the help.
        var help = Run("--help").Out;
        Assert.AreEqual((0, help, "measure: invalid option -- 'Z'\n"), Run("measure", "-Z"));
        Assert.AreEqual((0, help, "measure: option '--o' is ambiguous; possibilities: '--object' '--output'\n"), Run("measure", "--o"));
        Assert.AreEqual((0, help, "measure: option '--size' requires an argument\n"), Run("measure", "--size"));
        Assert.AreEqual((0, help, "measure: option requires an argument -- 'l'\n"), Run("measure", "-l"));
        Assert.AreEqual((0, help, "measure: option '--image-opts' doesn't allow an argument\n"), Run("measure", "--image-opts=1"));
        Assert.AreEqual((0, help, "measure: unrecognized option '--foo=bar'\n"), Run("measure", "--foo=bar", "x"));
    }

    [TestMethod]
    public void MapShortOptionsForOffsetAndLength()
    {
        string img = P("r.raw");
        Run("create", "-q", img, "1M");
        Assert.AreEqual(Run("map", "--output=json", "--start-offset=4k", "--max-length=8k", img), Run("map", "--output=json", "-s", "4k", "-l8k", img));
        AssertUsage(Run("map", "-s"), "missing argument for option '-s'");
    }

    [TestMethod]
    public void BackingChainOfRawIsOneImageAndImageOptsNameTheirFile()
    {
        string img = P("r.raw");
        Run("create", "-q", img, "64k");
        var chain = Run("info", "--backing-chain", "--output=json", img);
        Assert.AreEqual(0, chain.Rc, chain.Err);
        StringAssert.StartsWith(chain.Out, "[\n    {\n");
        StringAssert.EndsWith(chain.Out, "    }\n]\n");
        Assert.AreEqual((1, "", "imagebuild: Could not open 'driver=raw,file.filename=/nonexistent-x': Could not open '/nonexistent-x': No such file or directory\n"),
            Run("info", "--image-opts", "driver=raw,file.filename=/nonexistent-x"));
    }
}
