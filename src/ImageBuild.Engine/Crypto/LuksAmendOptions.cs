namespace ImageBuild.Engine.Crypto;

/// <summary>
/// qemu's QCryptoBlockAmendOptionsLUKS: <c>state</c> (<c>active</c> adds a key slot, <c>inactive</c> erases),
/// <c>keyslot</c>, <c>old-secret</c> and <c>new-secret</c> (secret ids) and <c>iter-time</c> in milliseconds.
/// </summary>
public sealed record LuksAmendOptions
{
    /// <summary><c>active</c> or <c>inactive</c>.</summary>
    public required string State { get; init; }
    public long? Keyslot { get; init; }
    public string? OldSecret { get; init; }
    public string? NewSecret { get; init; }
    public ulong? IterTime { get; init; }
}
