namespace ImageBuild.Cli.Tests.Oracle.Contract;

/// <summary>
/// The encrypted rows of the driver contract (issue #18), written from what qemu-img 7.2 does with them: LUKS on its
/// own, qcow2 with a LUKS header inside, and the legacy AES-CBC of qcow2 and qcow, which qemu-img 7.2 still creates
/// and reads (the system emulators refuse them). Every row runs against qemu-img itself (IMAGEBUILD_EXE), which is
/// how the rows are checked; a row whose format the engine still refuses fails with <see cref="EngineDrivers"/>.
/// </summary>
public static class EncryptedProfiles
{
    /// <summary>The passphrase the rows' images are made with.</summary>
    public static readonly ContractSecret Passphrase = new("sec0", "secret0.txt", "contract-passphrase-0");

    /// <summary>A wrong passphrase under the same id (the wrong-secret case).</summary>
    public static readonly ContractSecret WrongPassphrase = new("sec0", "secret-wrong.txt", "not-the-passphrase");

    /// <summary>The passphrase of the key slot the amend case adds.</summary>
    public static readonly ContractSecret SecondPassphrase = new("sec1", "secret1.txt", "contract-passphrase-1");

    /// <summary>
    /// What differs between two LUKS headers made with the same options: the UUID and the PBKDF2 iteration counts
    /// (qemu benchmarks them; salts and keys are not printed).
    /// </summary>
    private static readonly string[] LuksInfoKeys = ["uuid", "iters", "master-key-iters"];

    private static readonly string[] LuksInfoLines = [@"^\s+uuid: ", @"^\s+iters: \d+$", @"^\s+master key iters: \d+$"];

    public static readonly IReadOnlyList<EncryptedProfile> All =
    [
        new("luks", "luks")
        {
            KeySecretOption = "key-secret",
            EncryptOptions = "iter-time=10",
            // qemu's luks driver: no check, backing files or compressed writes; resize both ways; measure
            Ops = QemuOps.Grow | QemuOps.Shrink | QemuOps.Measure,
            CreateOptions =
            [
                "cipher-alg=aes-192,cipher-mode=xts,ivgen-alg=plain64,hash-alg=sha1",
                "cipher-mode=cbc,ivgen-alg=essiv,ivgen-hash-alg=sha256",
                "cipher-alg=aes-128,cipher-mode=cbc,ivgen-alg=plain,hash-alg=sha512",
                "ivgen-alg=essiv,ivgen-hash-alg=sha256",
                // refused: by the option parser, by the cipher table, and an ESSIV hash too short for an AES key
                "cipher-alg=aes-512", "ivgen-alg=bogus", "cipher-alg=des", "ivgen-alg=essiv,ivgen-hash-alg=sha1",
                "key-secret=nosuch",
            ],
            LayoutOptions = ["", "cipher-alg=aes-128,cipher-mode=cbc,ivgen-alg=essiv"],
            KeySlotPrefix = "",
            ChecksPassphrase = true,
            ZeroInitialised = false,
            RandomInfoKeys = LuksInfoKeys,
            RandomInfoLines = LuksInfoLines,
        },
        new("qcow2-luks", "qcow2")
        {
            KeySecretOption = "encrypt.key-secret",
            EncryptOptions = "encrypt.format=luks,encrypt.iter-time=10",
            Naming = ImageNaming.Json,
            Ops = QemuOps.Check | QemuOps.Grow | QemuOps.Shrink | QemuOps.Measure,
            CreateOptions =
            [
                "encrypt.cipher-alg=aes-128,encrypt.cipher-mode=cbc,encrypt.ivgen-alg=essiv",
                "encrypt.cipher-alg=aes-192,encrypt.hash-alg=sha1",
                "cluster_size=4k",
                "compat=0.10",
                // refused: a cipher the parser does not know, the legacy alias beside encrypt.format, a missing secret
                "encrypt.cipher-alg=aes-512", "encryption=on", "encrypt.key-secret=nosuch",
            ],
            LayoutOptions = ["", "cluster_size=4k,encrypt.cipher-alg=aes-128,encrypt.cipher-mode=cbc,encrypt.ivgen-alg=plain64"],
            KeySlotPrefix = "encrypt.",
            ChecksPassphrase = true,
            RandomInfoKeys = LuksInfoKeys,
            RandomInfoLines = LuksInfoLines,
        },
        new("qcow2-aes", "qcow2")
        {
            KeySecretOption = "encrypt.key-secret",
            EncryptOptions = "encrypt.format=aes",
            Ops = QemuOps.Check | QemuOps.Grow | QemuOps.Shrink | QemuOps.Measure,
            CreateOptions =
            [
                "cluster_size=4k",
                "compat=0.10",
                // refused: LUKS options beside the AES format
                "encrypt.cipher-alg=aes-128", "encrypt.iter-time=10",
            ],
            LayoutOptions = ["", "cluster_size=4k"],
        },
        new("qcow-aes", "qcow")
        {
            KeySecretOption = "encrypt.key-secret",
            EncryptOptions = "encrypt.format=aes",
            Naming = ImageNaming.Json,
            // qemu's qcow: no check, resize or measure
            Ops = QemuOps.None,
            CreateOptions =
            [
                "encryption=on",
                // refused: qcow has no cluster_size option and no LUKS (qemu leaves an empty file behind)
                "cluster_size=4k", "encrypt.format=luks",
            ],
        },
    ];

    public static EncryptedProfile Get(string row) =>
        All.FirstOrDefault(p => p.Row == row) ?? throw new AssertFailedException($"no encrypted contract profile '{row}'");
}
