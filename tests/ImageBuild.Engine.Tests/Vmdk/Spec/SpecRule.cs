namespace ImageBuild.Engine.Tests.Vmdk.Spec;

/// <summary>One rule of VMware's "Virtual Disk Format 5.0" technical note, restated in one line with its section.</summary>
public sealed record SpecRule(string Id, string Section, string Statement)
{
    public override string ToString() => $"{Id} [{Section}] {Statement}";
}

/// <summary>A rule an image breaks: which rule, in which file, where, and what was found.</summary>
public sealed record SpecViolation(SpecRule Rule, string File, long? Offset, string Found)
{
    public override string ToString() =>
        $"{Rule.Id}: {Path.GetFileName(File)}{(Offset is long o ? $" @0x{o:x}" : "")}: {Found} (rule: {Rule.Statement}, {Rule.Section})";
}
