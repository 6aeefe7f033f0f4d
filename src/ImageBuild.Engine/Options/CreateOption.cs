namespace ImageBuild.Engine.Options;

public enum OptionType
{
    /// <summary>A size with qemu's suffixes (k, M, G, ...): printed as &lt;size&gt;.</summary>
    Size,
    /// <summary>Free text: &lt;str&gt;.</summary>
    String,
    /// <summary>An integer: &lt;num&gt;.</summary>
    Number,
    /// <summary>on/off: &lt;bool (on/off)&gt;.</summary>
    Bool,
}

/// <summary>
/// One create option of a format driver, in the driver's option-table order (which is the order of the
/// "Formatting ..." line). <paramref name="Default"/> is printed in that line even when not given.
/// </summary>
public sealed record CreateOption(string Name, OptionType Type, string Help, string? Default = null);
