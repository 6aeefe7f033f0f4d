namespace ImageBuild.Engine.Operations;

/// <summary>What qemu-img bench is asked to do.</summary>
public sealed record BenchRequest
{
    public required string Filename { get; init; }
    public string? Format { get; init; }

    /// <summary>-c: number of requests.</summary>
    public int Count { get; init; } = 75000;

    /// <summary>-d: requests in flight (reported; requests are issued one after another).</summary>
    public int Depth { get; init; } = 64;

    /// <summary>-o: offset of the first request.</summary>
    public long Offset { get; init; }

    /// <summary>-s: request size.</summary>
    public int BufferSize { get; init; } = 4096;

    /// <summary>-S: offset increment; 0 = the buffer size.</summary>
    public int StepSize { get; init; }

    /// <summary>-w: write test.</summary>
    public bool Write { get; init; }

    /// <summary>--pattern: the byte written.</summary>
    public byte Pattern { get; init; }

    /// <summary>--flush-interval: flush every N requests (write tests only; 0 = never).</summary>
    public int FlushInterval { get; init; }

    /// <summary>--no-drain: flush without waiting for requests in flight.</summary>
    public bool NoDrain { get; init; }

    public bool ForceShare { get; init; }
}
