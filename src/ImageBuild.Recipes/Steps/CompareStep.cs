using ImageBuild.Engine.Operations;

namespace ImageBuild.Recipes.Steps;

/// <summary>compare: qemu-img compare of two images' guest content (strict: -s); the step fails when they differ.</summary>
internal sealed class CompareStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        var other = c.Inputs["image"];
        CompareResult r;
        try
        {
            r = ImageComparer.Compare(c.Engine, new CompareRequest
            {
                File1 = c.From.Path, Format1 = c.From.Format,
                File2 = other.Path, Format2 = other.Format,
                Strict = c.Step.Bool("strict"),
                ForceShare = true,
                Progress = c.Progress,
            });
        }
        catch (CompareException e)
        {
            throw new StepFailedException(e.Message.Replace('\n', ' '));
        }
        return r.ExitCode == 0
            ? new StepResult { Note = $"'{c.From.FileName}' and '{other.FileName}' are identical" }
            : new StepResult { Failure = $"'{c.From.FileName}' and '{other.FileName}' differ: {r.Message.TrimEnd('\n')}" };
    }
}
