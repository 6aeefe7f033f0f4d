using System.Text.Json.Nodes;

namespace ImageBuild.Cli.Tests.Oracle.Contract;

/// <summary>How the cases name an image of an encrypted row on the command line (both carry the key-secret option).</summary>
public enum ImageNaming
{
    /// <summary>`--image-opts driver=FMT,key-secret=ID,file.filename=IMG` (qcow/qcow2: `encrypt.key-secret=ID`).</summary>
    ImageOpts,

    /// <summary>`json:{"driver":"FMT","key-secret":"ID","file":{"driver":"file","filename":"IMG"}}`.</summary>
    Json,
}

/// <summary>
/// One encrypted row of the driver contract: a format with the create options that make it encrypt, the secret its
/// images are made with, and how an image is named so that the secret reaches the driver (qemu-img reads an encrypted
/// image only with `--image-opts` or `json:`; `-f FMT IMG` has no place for the key). Adding an encrypted row means
/// adding one of these to <see cref="EncryptedProfiles.All"/>.
/// </summary>
/// <param name="Row">The row's name in test names (luks, qcow2-luks, ...).</param>
/// <param name="Format">qemu's driver name (`-f`, `-O`, `driver=`).</param>
public sealed record EncryptedProfile(string Row, string Format)
{
    /// <summary>File name extension of the images the cases make.</summary>
    public string Extension { get; init; } = Format;

    /// <summary>The secret every image of the row is made and opened with.</summary>
    public ContractSecret Secret { get; init; } = EncryptedProfiles.Passphrase;

    /// <summary>The runtime and create option naming the secret: `key-secret` (luks) or `encrypt.key-secret` (qcow, qcow2).</summary>
    public required string KeySecretOption { get; init; }

    /// <summary>
    /// The create options (besides the key secret) that make an image of the row: the encryption format and, where
    /// qemu benchmarks PBKDF2, a small iter-time so that a case stays fast.
    /// </summary>
    public required string EncryptOptions { get; init; }

    /// <summary>How images of the row are named on the command line.</summary>
    public ImageNaming Naming { get; init; } = ImageNaming.ImageOpts;

    /// <summary>What qemu-img does with images of the row (check, grow, shrink, measure; checked in the cases).</summary>
    public QemuOps Ops { get; init; }

    /// <summary>
    /// `-o` option sets the create case runs after the row's own (later keys override earlier ones, as in qemu): some
    /// that qemu-img 7.2 accepts, some it refuses; each is one test.
    /// </summary>
    public IReadOnlyList<string> CreateOptions { get; init; } = [];

    /// <summary>Option sets of the read and convert-into cases ("" = the row's own only).</summary>
    public IReadOnlyList<string> LayoutOptions { get; init; } = [""];

    /// <summary>
    /// Prefix of the key-slot options of `amend` ("" for luks, "encrypt." for qcow2), or null where qemu amends no
    /// key slots (legacy AES has none).
    /// </summary>
    public string? KeySlotPrefix { get; init; }

    /// <summary>
    /// Whether a wrong passphrase is refused (LUKS checks it against the master key digest); legacy AES cannot tell
    /// and reads the image through the wrong key.
    /// </summary>
    public bool ChecksPassphrase { get; init; }

    /// <summary>
    /// Whether a new image reads as zeros. A LUKS payload starts as zero bytes on disk, which decrypt to noise that
    /// depends on the random master key: two new images then differ where nothing was written, and the cases compare
    /// their content only where it was written (the fixtures write the whole of such an image first).
    /// </summary>
    public bool ZeroInitialised { get; init; } = true;

    /// <summary>`info --output=json` keys (at any depth) whose values differ from image to image (UUID, PBKDF2 iterations).</summary>
    public IReadOnlyList<string> RandomInfoKeys { get; init; } = [];

    /// <summary>Regexes of human `info` lines whose values differ from image to image (matched lines are dropped).</summary>
    public IReadOnlyList<string> RandomInfoLines { get; init; } = [];

    public bool Has(QemuOps op) => (Ops & op) == op;

    /// <summary>The `-o` value of a create or convert: the row's encryption options, its key secret, then <paramref name="extra"/>.</summary>
    public string CreateOptionString(string extra = "") =>
        string.Join(',', new[] { EncryptOptions, $"{KeySecretOption}={Secret.Id}", extra }.Where(s => s.Length > 0));

    /// <summary>The name of image <paramref name="file"/> with the key secret <paramref name="secretId"/>, in the row's naming.</summary>
    public string Spec(string file, string? secretId = null)
    {
        string id = secretId ?? Secret.Id;
        if (Naming == ImageNaming.ImageOpts)
            return $"driver={Format},{KeySecretOption}={id},file.filename={file}";
        var json = new JsonObject
        {
            ["driver"] = Format,
            [KeySecretOption] = id,
            ["file"] = new JsonObject { ["driver"] = "file", ["filename"] = file },
        };
        return "json:" + json.ToJsonString();
    }

    /// <summary>A raw image <paramref name="file"/> named the way the row names its images (compare takes both in one naming).</summary>
    public string RawSpec(string file) =>
        Naming == ImageNaming.ImageOpts
            ? $"driver=raw,file.filename={file}"
            : "json:" + new JsonObject { ["driver"] = "raw", ["file"] = new JsonObject { ["driver"] = "file", ["filename"] = file } }.ToJsonString();

    /// <summary>`--image-opts` where the row names images that way, else nothing.</summary>
    public string[] NamingFlag => Naming == ImageNaming.ImageOpts ? ["--image-opts"] : [];

    /// <summary>
    /// What opens image <paramref name="file"/> with <paramref name="secret"/> (default: the row's): the secret
    /// object, the naming flag and the image's name; with <paramref name="secretId"/> the name asks for another id.
    /// </summary>
    public string[] Open(string file, ContractSecret? secret = null, string? secretId = null) =>
        [.. (secret ?? Secret).ObjectArgs, .. NamingFlag, Spec(file, secretId ?? (secret ?? Secret).Id)];

    public override string ToString() => Row;
}
