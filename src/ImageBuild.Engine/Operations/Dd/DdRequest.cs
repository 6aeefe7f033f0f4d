using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Operations;

/// <summary>What qemu-img dd is asked to do (its operands are bs=, count=, skip=, if=, of=).</summary>
public sealed record DdRequest
{
    public string? Input { get; init; }
    public string? Output { get; init; }

    /// <summary>-f: input format (null probes).</summary>
    public string? InputFormat { get; init; }

    /// <summary>-O: output format.</summary>
    public string OutputFormat { get; init; } = "raw";

    /// <summary>bs=: block size, 1..INT_MAX.</summary>
    public long BlockSize { get; init; } = 512;

    /// <summary>count=: input blocks; null = the whole input.</summary>
    public long? Count { get; init; }

    /// <summary>skip=: input blocks to skip; null = not given.</summary>
    public long? Skip { get; init; }

    public bool ForceShare { get; init; }

    /// <summary>Applies one "name=value" operand with qemu-img's parsing and messages.</summary>
    public DdRequest WithOperand(string operand)
    {
        int eq = operand.IndexOf('=');
        string name = eq < 0 ? operand : operand[..eq];
        string value = eq < 0 ? "" : operand[(eq + 1)..];
        return name switch
        {
            "bs" => this with { BlockSize = ParseBlockSize(value) },
            "count" => this with { Count = ParseNumber("count", value) },
            "skip" => this with { Skip = ParseNumber("skip", value) },
            "if" => this with { Input = value },
            "of" => this with { Output = value },
            _ => throw new ImageException($"unrecognized operand {name}"),
        };
    }

    private static long ParseBlockSize(string value)
    {
        long n = ParseNumber("bs", value);
        if (n < 1 || n > int.MaxValue)
            throw new ImageException("Invalid bs specified. Must be between 1 and 2147483647.");
        return n;
    }

    private static long ParseNumber(string noun, string value) =>
        SizeParser.TryParse(value, out long n)
            ? n
            : throw new ImageException($"Invalid {noun} specified. You may use k, M, G, T, P or E suffixes for\nkilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
}
