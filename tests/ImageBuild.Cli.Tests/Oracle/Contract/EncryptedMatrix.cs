namespace ImageBuild.Cli.Tests.Oracle.Contract;

/// <summary>
/// The (row, case) matrix of the encrypted contract rows, as <see cref="ContractMatrix"/> is for the plain ones:
/// every row of <see cref="EncryptedProfiles.All"/> times every case, each pair one test with a readable name.
/// </summary>
public static class EncryptedMatrix
{
    private static string Token(string options) => options.Length == 0 ? ContractMatrix.Defaults : options;

    /// <summary>create: the row's own options, an odd size, an unknown option, then the row's option sets.</summary>
    public static IEnumerable<object[]> CreateCases() =>
        from p in EncryptedProfiles.All
        from c in new[]
        {
            (Options: ContractMatrix.Defaults, Size: ContractFixtures.CreateSize),
            (Options: ContractMatrix.Defaults, Size: "1000"), // not a multiple of 512
            (Options: "foo=bar", Size: ContractFixtures.CreateSize),
        }.Concat(p.CreateOptions.Select(o => (Options: o, Size: ContractFixtures.CreateSize)))
        select new object[] { p.Row, c.Options, c.Size };

    /// <summary>read and convert into the row: each layout option set.</summary>
    public static IEnumerable<object[]> LayoutCases() =>
        from p in EncryptedProfiles.All
        from o in p.LayoutOptions
        select new object[] { p.Row, Token(o) };

    public static IEnumerable<object[]> RowCases() => EncryptedProfiles.All.Select(p => new object[] { p.Row });
}
