namespace ImageBuild.Recipes.Execution;

/// <summary>
/// Another run holds the output directory's lock. An <see cref="IOException"/> (hosts that report I/O failures
/// report it too) whose message is one line without the operating system's wording.
/// </summary>
public sealed class OutputDirBusyException(string outputDir, Exception inner)
    : IOException($"output directory '{outputDir}' is in use by another run; wait for it to finish or use another output directory", inner)
{
    public string OutputDir { get; } = outputDir;
}
