namespace ImageBuild.Engine.Operations;

/// <summary>What qemu-img amend is asked to do.</summary>
public sealed record AmendRequest
{
    public required string Filename { get; init; }

    /// <summary>-f; null probes.</summary>
    public string? Format { get; init; }

    /// <summary>The -o name/value pairs in the order given (help requests are handled before).</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Options { get; init; }

    /// <summary>--force: allow unsafe operations (LUKS keyslot changes in qemu).</summary>
    public bool Force { get; init; }

    /// <summary>-t: writethrough or unsafe cache modes change flushing only.</summary>
    public bool UnsafeCache { get; init; }

    /// <summary>Progress in percent (qemu's amend_status_cb), 0 first and 100 last.</summary>
    public Action<double>? Progress { get; init; }
}
