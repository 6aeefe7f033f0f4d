namespace ImageBuild.Cli.Tests.Oracle.Contract;

/// <summary>
/// The (format, case) matrix of the driver contract, as qemu's iotests run one test over `-f FMT`: every row of
/// <see cref="FormatProfiles.All"/> times every case below, each pair one test (MSTest DynamicData). Option sets are
/// passed as text so that each test has a stable, readable name; "defaults" stands for no `-o`.
/// </summary>
public static class ContractMatrix
{
    public const string Defaults = "defaults";

    /// <summary>The `-o` value a matrix option token stands for.</summary>
    public static string Options(string token) => token == Defaults ? "" : token;

    private static string Token(string options) => options.Length == 0 ? Defaults : options;

    /// <summary>create: the generic cases every format gets, then the profile's own option sets.</summary>
    public static IEnumerable<object[]> CreateCases() =>
        from p in FormatProfiles.All
        from c in new[]
        {
            (Options: Defaults, Size: ContractFixtures.CreateSize),
            (Options: Defaults, Size: "1000"), // not a multiple of 512
            (Options: "foo=bar", Size: ContractFixtures.CreateSize),
            (Options: $"backing_file=base.{p.Extension},backing_fmt={p.Name}", Size: ""), // size from the backing file
        }.Concat(p.CreateOptions.Select(o => (Options: o, Size: ContractFixtures.CreateSize)))
        select new object[] { p.Name, c.Options, c.Size };

    /// <summary>read: a qemu-io filled image of each layout option set, and an overlay where the format has backing files.</summary>
    public static IEnumerable<object[]> ReadCases() =>
        from p in FormatProfiles.All
        from c in p.LayoutOptions.Select(o => (Options: Token(o), Chain: "image"))
            .Concat(p.Has(QemuOps.Backing) ? [(Options: Defaults, Chain: "overlay")] : [])
        select new object[] { p.Name, c.Options, c.Chain };

    /// <summary>convert into the format: each layout option set, plain and compressed (once, refused, without compressed writes).</summary>
    public static IEnumerable<object[]> ConvertCases() =>
        from p in FormatProfiles.All
        from o in p.LayoutOptions
        from mode in p.Has(QemuOps.CompressedWrites) || o.Length == 0 ? new[] { "plain", "compressed" } : ["plain"]
        select new object[] { p.Name, Token(o), mode };

    public static IEnumerable<object[]> FormatCases() => FormatProfiles.All.Select(p => new object[] { p.Name });

    /// <summary>resize: grow, shrink with --shrink, shrink without it.</summary>
    public static IEnumerable<object[]> ResizeCases() =>
        from p in FormatProfiles.All
        from args in new[] { "+4M", "--shrink 4M", "4M" }
        select new object[] { p.Name, args };

    public static IEnumerable<object[]> RebaseCases() =>
        from p in FormatProfiles.All
        from mode in new[] { "safe", "unsafe" }
        select new object[] { p.Name, mode };

    /// <summary>The raw contents each read-only format is made from and read back: mixed data with holes, and all zeros.</summary>
    public static readonly string[] ReadOnlyContents = ["mixed", "zeros"];

    /// <summary>read of a read-only format: each row times each raw content.</summary>
    public static IEnumerable<object[]> ReadOnlyReadCases() =>
        from p in FormatProfiles.ReadOnly
        from c in ReadOnlyContents
        select new object[] { p.Name, c };

    public static IEnumerable<object[]> ReadOnlyFormatCases() => FormatProfiles.ReadOnly.Select(p => new object[] { p.Name });
}
