using ImageBuild.Cli.CommandLine;

namespace ImageBuild.Cli.Commands;

/// <summary>
/// One verb's own <c>--help</c>, laid out as qemu-img 10.1's per-command help (usage with continuation lines
/// indented by 8, the one-line description, then each argument on its own line with its explanation indented by 5).
/// The options listed are the ones imagebuild accepts: qemu-img 7.2's short options and long options (7.2 is the
/// oracle), not the long aliases 10.1 added.
/// </summary>
public sealed record CommandHelp(string Name, string Description, string Synopsis, string Arguments)
{
    private const string UntrustedArgument =
        "  --untrusted\n" +
        "     (imagebuild) the images are untrusted: an image may name as backing or data\n" +
        "     file only a regular file inside its own directory\n";

    private const string NoBackingArgument =
        "  --no-backing\n" +
        "     (imagebuild) read the images without their backing files, as if those were\n" +
        "     empty (qemu's backing=null), e.g. a differencing VHD whose parent is absent\n";

    /// <summary>The full text printed by <c>imagebuild NAME --help</c>.</summary>
    public string Render(bool imageCommand = true) =>
        "Usage:\n" +
        $"  {CliIO.ProgramName} {Name} {Synopsis}\n" +
        $"{Description}.\n" +
        "\n" +
        "Arguments:\n" +
        "  -h, --help\n" +
        "     print this help and exit\n" +
        Arguments +
        (imageCommand ? UntrustedArgument : "") +
        (Array.IndexOf(Program.NoBackingCommands, Name) >= 0 ? NoBackingArgument : "") +
        "\n";

    /// <summary>The help of verb <paramref name="name"/>, or null for a name that is no verb.</summary>
    public static CommandHelp? For(string name) => All.FirstOrDefault(h => h.Name == name);

    /// <summary>Whether <paramref name="name"/> is one of imagebuild's own recipe verbs (run, plan, validate).</summary>
    public static bool IsRecipeVerb(string name) => RecipeVerbs.Any(h => h.Name == name);

    private const string Quiet = "  -q\n     quiet mode (produce only error messages if any)\n";
    private const string Progress = "  -p\n     display progress information\n";
    private const string ForceShare = "  -U, --force-share\n     open images in shared mode for concurrent access\n";
    private const string Object = "  --object OBJDEF\n     defines QEMU user-creatable object\n";
    private const string ImageOpts = "  --image-opts\n     treat FILE as an option string (key=value,..), not a file name\n";
    private const string Output = "  --output human|json\n     output format (default: human)\n";
    private const string FileOperand = "  FILE\n     name of the image file to operate on\n";

    private static string Format(string what) => $"  -f FMT\n     specify the format of {what} explicitly (default: probing is used)\n";
    private static string FormatLong(string what) => $"  -f, --format FMT\n     specify the format of {what} explicitly (default: probing is used)\n";
    private static string Cache(string flag, string what, string dflt) => $"  {flag} CACHE_MODE\n     {what} cache mode (default: {dflt})\n";

    /// <summary>The qemu-img verbs, in qemu-img's table order (as <see cref="CommandTable"/>).</summary>
    public static IReadOnlyList<CommandHelp> ImageVerbs { get; } =
    [
        new("amend", "Update format-specific options of the image",
            "[-f FMT | --image-opts] [-t CACHE_MODE] [-p] [-q] [--force]\n" +
            "        [--object OBJDEF] -o FMT_OPTS FILE",
            Format("FILE") + ImageOpts + Cache("-t", "image", "writeback") +
            "  -o FMT_OPTS\n     format-specific options to change (specify '-o help' for help)\n" +
            "  --force\n     allow changes that may be unsafe (e.g. dropping a LUKS keyslot)\n" +
            Progress + Quiet + Object + FileOperand),
        new("bench", "Run a simple image benchmark",
            "[-f FMT | --image-opts] [-t CACHE_MODE] [-c COUNT] [-d DEPTH]\n" +
            "        [-s BUFFER_SIZE] [-S STEP_SIZE] [-o OFFSET] [-w [--pattern=PATTERN]\n" +
            "        [--flush-interval=INTERVAL [--no-drain]]] [-i AIO] [-n] [-U] [-q] FILE",
            Format("FILE") + ImageOpts + Cache("-t", "image", "writeback") +
            "  -c COUNT\n     number of I/O requests to perform (default: 75000)\n" +
            "  -d DEPTH\n     number of requests in flight at once (default: 64)\n" +
            "  -s BUFFER_SIZE[bKMGTPE]\n     size of each request (default: 4K)\n" +
            "  -S STEP_SIZE[bKMGTPE]\n     distance between the offsets of consecutive requests (default: BUFFER_SIZE)\n" +
            "  -o OFFSET\n     offset of the first request\n" +
            "  -w\n     perform write test (default is read)\n" +
            "  --pattern=PATTERN\n     write this byte pattern (default: 0)\n" +
            "  --flush-interval=INTERVAL\n     issue a flush after this many writes\n" +
            "  --no-drain\n     do not wait for the requests in flight before a flush\n" +
            "  -i AIO\n     async I/O mode (threads, native or io_uring)\n" +
            "  -n\n     native I/O (cache=none)\n" +
            ForceShare + Quiet + FileOperand),
        new("bitmap", "Perform modifications of the persistent bitmap in the image",
            "[-f FMT | --image-opts] [--object OBJDEF]\n" +
            "        (--merge SOURCE | --add | --remove | --clear | --enable | --disable)...\n" +
            "        [-b SRC_FILE [-F SRC_FMT]] [-g GRANULARITY] FILE BITMAP",
            Format("FILE") + ImageOpts +
            "  --add\n     creates BITMAP in FILE, enabled to record future edits\n" +
            "  --remove\n     removes BITMAP from FILE\n" +
            "  --clear\n     clears BITMAP in FILE\n" +
            "  --enable, --disable\n     starts and stops recording future edits to BITMAP in FILE\n" +
            "  --merge SOURCE\n     merges the contents of the SOURCE bitmap into BITMAP in FILE\n" +
            "  -b, --source-file SRC_FILE\n     select alternative source file for --merge\n" +
            "  -F, --source-format SRC_FMT\n     specify format for SRC_FILE explicitly\n" +
            "  -g, --granularity GRANULARITY\n     sets the granularity of --add actions\n" +
            Object + FileOperand +
            "  BITMAP\n     name of the bitmap to add, remove, clear, enable, disable or merge into\n"),
        new("check", "Check basic image integrity",
            "[-f FMT | --image-opts] [-T CACHE_MODE] [-r leaks|all]\n" +
            "        [-U] [--output human|json] [-q] [--object OBJDEF] FILE",
            FormatLong("FILE") + ImageOpts + Cache("-T", "image", "writeback") +
            "  -r, --repair leaks|all\n     repair errors of the given category in the image (the image is opened\n" +
            "     read-write, incompatible with -U|--force-share)\n" +
            ForceShare + Output + Quiet + Object + FileOperand),
        new("commit", "Commit image to its backing file",
            "[-f FMT | --image-opts] [-t CACHE_MODE] [-b BASE_IMG]\n" +
            "        [-d] [-r RATE] [-p] [-q] [--object OBJDEF] [--events FILE|-] FILE",
            Format("FILE") + ImageOpts + Cache("-t", "image", "writeback") +
            "  -d\n     skip emptying FILE on completion\n" +
            "  -b BASE_IMG\n     image in the backing chain to commit changes to\n" +
            "     (default: the immediate backing file; implies -d)\n" +
            "  -r RATE\n     I/O rate limit, in bytes per second\n" +
            Progress + Quiet + Object + Events + FileOperand),
        new("compare", "Check if two images have the same contents",
            "[[-f FMT] [-F FMT] | --image-opts] [-s] [-T CACHE_MODE]\n" +
            "        [-U] [-p] [-q] [--object OBJDEF] [--events FILE|-] FILE1 FILE2",
            "  -f FMT\n     specify FILE1 image format explicitly (default: probing is used)\n" +
            "  -F FMT\n     specify FILE2 image format explicitly (default: probing is used)\n" +
            "  --image-opts\n     treat FILE1 and FILE2 as option strings (key=value,..)\n" +
            "  -s\n     strict mode: also fail on different image sizes or allocation\n" +
            Cache("-T", "images", "writeback") + ForceShare + Progress + Quiet + Object + Events +
            "  FILE1, FILE2\n     names of the image files to compare\n"),
        new("convert", "Copy one or more images to another with optional format conversion",
            "[-f SRC_FMT | --image-opts] [-T SRC_CACHE]\n" +
            "        [-l SNAPSHOT] [--bitmaps [--skip-broken-bitmaps]] [--salvage]\n" +
            "        [-O TGT_FMT | --target-image-opts] [-o TGT_FMT_OPTS] [-t TGT_CACHE]\n" +
            "        [-B BACKING_FILE [-F BACKING_FMT]] [-S SPARSE_SIZE]\n" +
            "        [-n] [--target-is-zero] [-c [--qemu-compression]]\n" +
            "        [-U] [-r RATE] [-m NUM_PARALLEL] [-W] [-C] [-p] [-q] [--object OBJDEF]\n" +
            "        [--events FILE|-] SRC_FILE [SRC_FILE2...] TGT_FILE",
            "  -f SRC_FMT\n     specify format of all SRC_FILEs explicitly (default: probing is used)\n" +
            "  --image-opts\n     treat each SRC_FILE as an option string (key=value,...)\n" +
            Cache("-T", "source image(s)", "writeback") +
            "  -l SNAPSHOT\n     specify source snapshot (ID_OR_NAME or snapshot.id=ID,snapshot.name=NAME)\n" +
            "  --bitmaps\n     also copy any persistent bitmaps present in source\n" +
            "  --skip-broken-bitmaps\n     skip (do not error out) any broken bitmaps\n" +
            "  --salvage\n     ignore errors on input (convert unreadable areas to zeros)\n" +
            "  -O TGT_FMT\n     specify TGT_FILE image format (default: raw)\n" +
            "  --target-image-opts\n     treat TGT_FILE as an option string (key=value,...) (requires -n)\n" +
            "  -o TGT_FMT_OPTS\n     TGT_FMT-specific options (specify '-o help' for help)\n" +
            Cache("-t", "output image", "unsafe") +
            "  -B BACKING_FILE\n     create target image to be a CoW on top of BACKING_FILE\n" +
            "  -F BACKING_FMT\n     specify BACKING_FILE image format explicitly (default: probing is used)\n" +
            "  -S SPARSE_SIZE[bkKMGTPE]\n     number of consecutive zero bytes to treat as a gap on output\n" +
            "     (a multiple of 512; default: 4k; 0 fully allocates the output)\n" +
            "  -n\n     omit target volume creation (TGT_FILE must exist)\n" +
            "  --target-is-zero\n     indicates that the target volume is pre-zeroed (requires -n)\n" +
            "  -c\n     create compressed output image (qcow and qcow2 formats only)\n" +
            "  --qemu-compression\n     deflate with the system zlib as qemu-img does: byte-identical output,\n" +
            "     about 2x slower (default: the .NET runtime's zlib-ng, about 1 % larger)\n" +
            ForceShare +
            "  -r RATE\n     I/O rate limit, in bytes per second\n" +
            "  -m NUM_PARALLEL\n     specify parallelism (1 to 16, default: 8)\n" +
            "  -W\n     allow out-of-order writes to the target (incompatible with -c)\n" +
            "  -C\n     try to use copy offloading\n" +
            Progress + Quiet + Object + Events +
            "  SRC_FILE...\n     one or more source image file names (concatenated in order)\n" +
            "  TGT_FILE\n     target (output) image file name\n"),
        new("create", "Create and format a new image file",
            "[-f FMT] [-o FMT_OPTS]\n" +
            "        [-b BACKING_FILE [-F BACKING_FMT]] [-u]\n" +
            "        [-q] [--object OBJDEF] FILE [SIZE]",
            "  -f FMT\n     specifies the format of the new image (default: raw)\n" +
            "  -o FMT_OPTS\n     format-specific options (specify '-o help' for help)\n" +
            "  -b BACKING_FILE\n     create target image to be a CoW on top of BACKING_FILE\n" +
            "  -F BACKING_FMT\n     specifies the format of BACKING_FILE (default: probing is used)\n" +
            "  -u\n     do not fail if BACKING_FILE can not be read\n" +
            Quiet + Object +
            "  FILE\n     name of the image file to create (overwritten if it already exists)\n" +
            "  SIZE[bKMGTPE]\n     image size with optional multiplier suffix (powers of 1024)\n" +
            "     (required unless BACKING_FILE is specified)\n"),
        new("dd", "Copy input to output with optional format conversion",
            "[-f FMT | --image-opts] [-O OUTPUT_FMT] [-U]\n" +
            "        [--object OBJDEF] [bs=BLOCK_SIZE] [count=BLOCKS] [skip=BLOCKS] if=INPUT of=OUTPUT",
            Format("INPUT") + "  --image-opts\n     treat INPUT as an option string (key=value,..)\n" +
            "  -O OUTPUT_FMT\n     format of the OUTPUT (default: raw)\n" +
            ForceShare + Object +
            "  bs=BLOCK_SIZE[bKMGTPE]\n     size of the I/O block (default: 512)\n" +
            "  count=COUNT\n     number of blocks to convert (default: whole INPUT)\n" +
            "  skip=COUNT\n     number of blocks to skip at the start of INPUT\n" +
            "  if=INPUT\n     name of the file or image to read from\n" +
            "  of=OUTPUT\n     name of the image file to create and write to\n"),
        new("info", "Display information about the image",
            "[-f FMT | --image-opts] [--backing-chain] [-U]\n" +
            "        [--output human|json] [--object OBJDEF] FILE",
            FormatLong("FILE") + ImageOpts +
            "  --backing-chain\n     display information about the backing chain of FILE too\n" +
            ForceShare + Output + Object + FileOperand),
        new("map", "Dump image metadata",
            "[-f FMT | --image-opts]\n" +
            "        [--start-offset OFFSET] [--max-length LENGTH]\n" +
            "        [--output human|json] [-U] [--object OBJDEF] FILE",
            FormatLong("FILE") + ImageOpts +
            "  -s, --start-offset OFFSET\n     start at the given OFFSET in the image, not at 0\n" +
            "  -l, --max-length LENGTH\n     process at most LENGTH bytes instead of the whole image\n" +
            Output + ForceShare + Object + FileOperand),
        new("measure", "Calculate the file size required for a new image",
            "[-f FMT | --image-opts] [-l SNAPSHOT]\n" +
            "        [-O TARGET_FMT] [-o TARGET_FMT_OPTS] [--output human|json]\n" +
            "        [-U] [--object OBJDEF] (--size SIZE | FILE)",
            Format("FILE") + ImageOpts +
            "  -l SNAPSHOT\n     use this snapshot in FILE as source\n" +
            "  -O TARGET_FMT\n     desired target/output image format (default: raw)\n" +
            "  -o TARGET_FMT_OPTS\n     options specific to TARGET_FMT\n" +
            Output + ForceShare + Object +
            "  --size SIZE[bKMGTPE]\n     measure file size for given image size,\n" +
            "     with optional multiplier suffix (powers of 1024)\n" +
            "  FILE\n     measure file size required to convert from FILE\n"),
        new("snapshot", "List or manipulate snapshots in the image",
            "[--image-opts] [-U] [-q] [--object OBJDEF]\n" +
            "        [-l | -a SNAPSHOT | -c SNAPSHOT | -d SNAPSHOT] FILE",
            ImageOpts + ForceShare + Quiet + Object +
            "  -l\n     lists all snapshots in the given image\n" +
            "  -a SNAPSHOT\n     applies the snapshot (reverts the disk to its saved state)\n" +
            "  -c SNAPSHOT\n     creates a snapshot\n" +
            "  -d SNAPSHOT\n     deletes a snapshot\n" +
            FileOperand),
        new("rebase", "Change the backing file of the image",
            "[-f FMT | --image-opts] [-t CACHE_MODE] [-T SRC_CACHE] [-p]\n" +
            "        [-u] [-U] [-q] [--object OBJDEF] [--events FILE|-] -b BACKING_FILE [-F BACKING_FMT] FILE",
            Format("FILE") + ImageOpts + Cache("-t", "image", "writeback") +
            Cache("-T", "backing file(s)", "writeback") + Progress + Events +
            "  -u\n     unsafe mode: only change the backing file name and format in FILE, do not\n" +
            "     compare the old and new backing data\n" +
            ForceShare + Quiet + Object +
            "  -b BACKING_FILE\n     the new backing file ('' removes the backing file)\n" +
            "  -F BACKING_FMT\n     specify BACKING_FILE image format explicitly (default: probing is used)\n" +
            FileOperand),
        new("resize", "Resize the image",
            "[-f FMT | --image-opts] [--preallocation PREALLOC] [--shrink]\n" +
            "        [-q] [--object OBJDEF] FILE [+-]SIZE[bkKMGTPE]",
            Format("FILE") + ImageOpts +
            "  --preallocation PREALLOC\n     preallocation mode for the new space (off, metadata, falloc or full)\n" +
            "  --shrink\n     allow the image to shrink (data past the new end is lost)\n" +
            Quiet + Object + FileOperand +
            "  [+-]SIZE[bkKMGTPE]\n     new image size or amount by which to grow (+) or shrink (-) the image,\n" +
            "     with optional multiplier suffix (powers of 1024)\n"),
    ];

    private const string Verbose = "  --verbose\n     show content hashes and keys in full (default: their first 8 hex digits)\n";

    /// <summary>imagebuild's JSON-lines progress (beyond qemu-img), on the verbs that report progress.</summary>
    private const string Events = "  --events FILE|-\n     write progress as JSON-lines events to FILE ('-': stdout, events only;\n     not in qemu-img)\n";

    private const string RecipeArgument = "  RECIPE\n     the recipe file (YAML)\n";
    private const string SetArgument = "  --set NAME=VALUE, -s NAME=VALUE\n     set a recipe variable (repeatable)\n";
    private const string RecipeUntrusted = "  --untrusted\n     treat every image as untrusted (the recipe's untrusted-images: true)\n";
    private const string OutputDirArgument = "  --output-dir DIR, -o DIR\n     write the outputs into DIR (default: the recipe's output-dir, else\n     out/NAME next to the recipe)\n";

    /// <summary>imagebuild's own verbs (not in qemu-img): recipes.</summary>
    public static IReadOnlyList<CommandHelp> RecipeVerbs { get; } =
    [
        new("run", "Build the images a recipe describes, skipping steps whose outputs are up to date",
            "RECIPE [--set NAME=VALUE]... [--jobs N] [--explain] [--verbose]\n" +
            "        [--output-dir DIR] [--events FILE|-] [--untrusted]",
            RecipeArgument + SetArgument +
            "  --jobs N, -j N\n     run up to N steps at once (1 to 256, default: the number of processors)\n" +
            "  --explain\n     say why each step runs or is skipped\n" + Verbose +
            OutputDirArgument +
            "  --events FILE|-\n     also write JSON-lines events to FILE ('-': only events, on stdout)\n" +
            RecipeUntrusted),
        new("plan", "Show what 'run' would do, without doing it",
            "RECIPE [--set NAME=VALUE]... [--verbose] [--output-dir DIR] [--events FILE|-] [--untrusted]",
            RecipeArgument + SetArgument + Verbose + OutputDirArgument +
            "  --events FILE|-\n     also write JSON-lines events to FILE ('-': only events, on stdout)\n" +
            RecipeUntrusted),
        new("validate", "Check a recipe (syntax, references, options) without running it",
            "RECIPE [--set NAME=VALUE]... [--untrusted]",
            RecipeArgument + SetArgument + RecipeUntrusted),
    ];

    private const string RegistryArguments =
        "  --plain-http\n     talk HTTP, not HTTPS, to a registry on this machine (localhost, 127.x, [::1])\n" +
        "  --ca-file FILE\n     also trust the PEM certificate authorities in FILE for the registry's TLS\n" +
        "  --registry-config FILE\n     read credentials from FILE (a docker config.json or podman auth.json),\n" +
        "     before the usual places (IMAGEBUILD_REGISTRY_USERNAME/_PASSWORD come first)\n";

    /// <summary>imagebuild's own verbs (not in qemu-img): images to and from OCI registries.</summary>
    public static IReadOnlyList<CommandHelp> DistributionVerbs { get; } =
    [
        new("push", "Publish an image to an OCI registry",
            "[--plain-http] [--ca-file FILE] [--registry-config FILE] [-f FMT]\n" +
            "        [--containerdisk [--arch ARCH]] FILE oci://HOST[:PORT]/REPO[:TAG]",
            FormatLong("FILE") + RegistryArguments +
            "  --containerdisk\n     publish an ordinary OCI image KubeVirt boots (the disk as /disk/NAME,\n" +
            "     owned 107:107); qcow2 and raw images of one file only\n" +
            "  --arch ARCH\n     the containerDisk's architecture (default: amd64)\n" +
            "  FILE\n     the image; all its files go (a VMDK's extents, a qcow2's data file); an\n" +
            "     image with a backing file is refused (convert it to one of its own first)\n" +
            "  oci://HOST[:PORT]/REPO[:TAG]\n     where to publish it (TAG default: latest); the manifest's digest is printed\n"),
        new("pull", "Download an image from an OCI registry",
            "[--plain-http] [--ca-file FILE] [--registry-config FILE] [--arch ARCH]\n" +
            "        oci://HOST[:PORT]/REPO[:TAG|@DIGEST] DEST",
            RegistryArguments +
            "  --arch ARCH\n     from an image index (several platforms), take linux/ARCH (default: amd64)\n" +
            "  oci://HOST[:PORT]/REPO[:TAG|@DIGEST]\n     an image 'push' published (either kind; TAG default: latest)\n" +
            "  DEST\n     an existing directory (the files keep their names), else the file to write\n" +
            "     (an image of one file) or the directory to create (several files); the\n" +
            "     paths written are printed\n"),
    ];

    private static IEnumerable<CommandHelp> All => ImageVerbs.Concat(RecipeVerbs).Concat(DistributionVerbs);

    /// <summary>The registry section of the global help (after qemu-img's own text).</summary>
    public static string DistributionSection =>
        "imagebuild's own commands (images in OCI registries, not in qemu-img):\n" +
        string.Concat(DistributionVerbs.Select(h => $"  {h.Name} {h.Synopsis.Replace("\n        ", " ", StringComparison.Ordinal)}\n")) +
        "\n";

    /// <summary>The recipe section of the global help (after qemu-img's own text).</summary>
    public static string RecipeSection =>
        "imagebuild's own commands (declarative recipes, not in qemu-img):\n" +
        string.Concat(RecipeVerbs.Select(h => $"  {h.Name} {h.Synopsis.Replace("\n        ", " ", StringComparison.Ordinal)}\n")) +
        "\n" +
        $"Run '{CliIO.ProgramName} COMMAND --help' for the synopsis and options of one command.\n";
}
