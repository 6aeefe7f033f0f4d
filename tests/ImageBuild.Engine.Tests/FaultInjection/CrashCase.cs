using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Tests.FaultInjection;

/// <summary>What must hold for one image's guest view at every crash point.</summary>
public enum ViewRule
{
    /// <summary>Only metadata consistency (qemu-img check) is required.</summary>
    ConsistentOnly,
    /// <summary>The view reads exactly as before the operation.</summary>
    Unchanged,
    /// <summary>The view reads as before the operation or as after it, nothing in between.</summary>
    BeforeOrAfter,
    /// <summary>The first <see cref="ImageRule.PrefixBytes"/> read as before (resize).</summary>
    PrefixUnchanged,
}

/// <summary>An image the operation touches and the rule for its view.</summary>
/// <param name="Name">File name inside the case directory.</param>
/// <param name="Rule">The rule for its guest view (read through its backing chain).</param>
/// <param name="CreatedByOperation">The operation creates it: before its header is complete it may not open at all
/// (qemu-img check exit 1), as with qemu's own create; never corrupt (exit 2).</param>
/// <param name="PrefixBytes">For <see cref="ViewRule.PrefixUnchanged"/>.</param>
public sealed record ImageRule(string Name, ViewRule Rule, bool CreatedByOperation = false, long PrefixBytes = 0);

/// <summary>
/// One write path on a small case: <see cref="Setup"/> makes the images (with qemu-img, in a directory, backing
/// names relative), <see cref="Run"/> is the operation under an engine context that carries the fault plan.
/// </summary>
public sealed record CrashCase(string Name, Action<string> Setup, Action<ImageContext, string> Run, params ImageRule[] Images)
{
    /// <summary>
    /// For operations that create their output: the create step alone. A crash inside it may leave a file that is
    /// not an image yet (qemu's create writes the header before the tables too); the points after it are held to
    /// the full rules.
    /// </summary>
    public Action<ImageContext, string>? CreateStep { get; init; }

    /// <summary>
    /// The operation has qemu's window in which a crash leaves QCOW_OFLAG_COPIED out of step with refcounts
    /// (snapshot create and apply: refcounts are raised, then the L2/L1 flags rewritten; qemu-img 7.2 writes in the
    /// same order). qemu-img check calls that corruption; check -r all repairs it without touching data. Such
    /// points may show OFLAG_COPIED errors and nothing else.
    /// </summary>
    public bool CopiedFlagWindow { get; init; }

    public override string ToString() => Name;
}
