namespace ImageBuild.Fuzz;

/// <summary>
/// One parser under fuzz: takes the raw input bytes and exercises the parser in a scratch directory. Expected
/// failures (the parser's own one-line error type) are swallowed; anything else escapes and is a finding.
/// </summary>
public abstract class FuzzTarget(string name, string description)
{
    public string Name { get; } = name;
    public string Description { get; } = description;

    /// <summary>
    /// Runs the input once: "ok", or "refused: " and the parser's one-line error. Throws only for findings (an
    /// exception of an unexpected type).
    /// </summary>
    public abstract string Run(ReadOnlySpan<byte> input, Scratch scratch);
}
