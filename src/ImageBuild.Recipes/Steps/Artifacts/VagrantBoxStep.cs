using ImageBuild.Packaging.Vagrant;

namespace ImageBuild.Recipes.Steps.Artifacts;

/// <summary>vagrant-box: the image as a Vagrant box for the libvirt or the VirtualBox provider.</summary>
internal sealed class VagrantBoxStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        var result = VagrantBoxWriter.Write(Packages.ContextFor(c), new VagrantBoxRequest
        {
            Disk = Packages.Disk(c.From),
            Provider = c.Step.Text("provider") == "virtualbox" ? VagrantProvider.VirtualBox : VagrantProvider.Libvirt,
            Hardware = Packages.Hardware(c.Step),
        }, c.PartialPath!);
        return new StepResult { Note = result.Note };
    }
}
