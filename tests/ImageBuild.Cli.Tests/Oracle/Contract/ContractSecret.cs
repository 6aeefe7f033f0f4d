namespace ImageBuild.Cli.Tests.Oracle.Contract;

/// <summary>
/// A secret object of the encrypted contract rows: qemu's `--object secret,id=ID,file=FILE`. The passphrase lives in
/// a file in the case's directory (written without a newline, as qemu reads the file whole), so no command line,
/// failure message or test output ever holds it; only the id and the file name are printed.
/// </summary>
/// <param name="Id">The object id that `key-secret=` / `encrypt.key-secret=` names.</param>
/// <param name="FileName">The file holding the passphrase, relative to the directory the commands run in.</param>
/// <param name="Data">The passphrase (never printed: see <see cref="ToString"/>).</param>
public sealed record ContractSecret(string Id, string FileName, string Data)
{
    /// <summary>`--object secret,id=ID,file=FILE`.</summary>
    public string[] ObjectArgs => ["--object", $"secret,id={Id},file={FileName}"];

    /// <summary>Writes the passphrase file into each of <paramref name="dirs"/>.</summary>
    public void WriteInto(params string[] dirs)
    {
        foreach (string dir in dirs)
            File.WriteAllText(Path.Combine(dir, FileName), Data);
    }

    /// <summary>Fails when <paramref name="text"/> (a program's output) holds the passphrase; the text is not echoed.</summary>
    public void AssertNotIn(string text, string what) =>
        Assert.IsFalse(text.Contains(Data, StringComparison.Ordinal), $"{what}: the output holds the passphrase of secret '{Id}'");

    public override string ToString() => $"secret {Id} ({FileName})";
}
