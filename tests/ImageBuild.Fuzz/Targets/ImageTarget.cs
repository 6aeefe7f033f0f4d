using ImageBuild.Engine;
using ImageBuild.Engine.Block;

namespace ImageBuild.Fuzz;

/// <summary>An image parser: the input is an image file opened as <paramref name="format"/> (null: probed).</summary>
public sealed class ImageTarget(string name, string? format, ImageContext context)
    : FuzzTarget(name, format is null ? "probe the format, then open/read/map/info/check and write a copy" :
        $"open as {format}: read, map, info, check; write a copy")
{
    public string? Format { get; } = format;

    public override string Run(ReadOnlySpan<byte> input, Scratch scratch)
    {
        string path = scratch.WriteInput(input, "fuzz.img");
        try
        {
            // a relative data file name is opened from the working directory, as qemu does: the scratch folder
            ImageExercise.Run(context.WithWorkingDirectory(scratch.Directory), path, Format, scratch.PathOf("fuzz-w.img"));
            return "ok";
        }
        catch (ImageException e)
        {
            // the contract: bad input is a one-line ImageException
            return "refused: " + e.Message;
        }
    }
}
