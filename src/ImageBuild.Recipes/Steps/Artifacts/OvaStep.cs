using ImageBuild.Packaging.Ovf;

namespace ImageBuild.Recipes.Steps.Artifacts;

/// <summary>ova: the disks (from, then disks:) as an OVA describing the virtual machine of the parameters.</summary>
internal sealed class OvaStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        var result = OvaWriter.Write(Packages.ContextFor(c), new OvaRequest
        {
            Disks = [Packages.Disk(c.From), .. c.ListInputs("disks").Select(Packages.Disk)],
            Hardware = Packages.Hardware(c.Step),
            Version = c.Step.Text("ovf-version") == "2.0" ? OvfVersion.V2_0 : OvfVersion.V1_0,
            Manifest = OvfManifest.TryParse(c.Step.Text("manifest") ?? "sha256", out var algorithm) ? algorithm : ManifestAlgorithm.Sha256,
        }, c.PartialPath!);
        return new StepResult { Note = result.Note };
    }
}
