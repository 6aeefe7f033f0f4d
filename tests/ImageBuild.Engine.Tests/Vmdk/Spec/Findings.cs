namespace ImageBuild.Engine.Tests.Vmdk.Spec;

/// <summary>The violations found so far in one check, each tied to the file being read.</summary>
public sealed class Findings
{
    private readonly List<SpecViolation> _list = [];

    public IReadOnlyList<SpecViolation> List => _list;

    public void Add(SpecRule rule, string file, long? offset, string found) => _list.Add(new SpecViolation(rule, file, offset, found));

    /// <summary>Adds a violation unless <paramref name="ok"/>; returns <paramref name="ok"/>.</summary>
    public bool Require(bool ok, SpecRule rule, string file, long? offset, string found)
    {
        if (!ok) Add(rule, file, offset, found);
        return ok;
    }
}
