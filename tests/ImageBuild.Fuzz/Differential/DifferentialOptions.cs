namespace ImageBuild.Fuzz.Differential;

/// <summary>
/// Options of the differential mode:
///   --cli PATH        imagebuild.dll (default: src/ImageBuild.Cli/bin/Release/net10.0/imagebuild.dll)
///   --corpus DIR      files to compare (repeatable; AFL queue/crashes directories or seeds)
///   --mutate N        also compare N in-process mutations of the corpus files (deterministic, --seed S)
///   --max N           stop after N files; --time SECONDS stop after that long
///   --out DIR         where divergences are written (one folder each) and summary.txt
///   --format F        the -f given to both tools (default qcow2)
/// </summary>
public sealed record DifferentialOptions
{
    public string Cli { get; init; } = "src/ImageBuild.Cli/bin/Release/net10.0/imagebuild.dll";
    public List<string> Corpus { get; init; } = [];
    public int Mutate { get; init; }
    public int Seed { get; init; } = 1;
    public int Max { get; init; } = int.MaxValue;
    public TimeSpan Time { get; init; } = TimeSpan.FromHours(1);
    public string Out { get; init; } = "/work/fuzz-out/diff";
    public string Format { get; init; } = "qcow2";

    public static DifferentialOptions Parse(string[] args)
    {
        var o = new DifferentialOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            o = args[i] switch
            {
                "--cli" => o with { Cli = Value() },
                "--corpus" => o with { Corpus = [.. o.Corpus, Value()] },
                "--mutate" => o with { Mutate = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture) },
                "--seed" => o with { Seed = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture) },
                "--max" => o with { Max = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture) },
                "--time" => o with { Time = TimeSpan.FromSeconds(double.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture)) },
                "--out" => o with { Out = Value() },
                "--format" => o with { Format = Value() },
                _ => throw new ArgumentException($"unknown option '{args[i]}'"),
            };
        }
        if (o.Corpus.Count == 0)
            throw new ArgumentException("diff needs at least one --corpus DIR");
        return o;
    }
}
