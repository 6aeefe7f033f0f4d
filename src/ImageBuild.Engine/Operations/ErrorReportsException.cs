namespace ImageBuild.Engine.Operations;

/// <summary>
/// A failure qemu-img reports as several separate error lines (each with the program-name prefix),
/// e.g. measure's "Invalid parameter 'x'" followed by "Invalid options for file format 'raw'".
/// </summary>
public sealed class ErrorReportsException(IReadOnlyList<string> reports, Exception? inner = null)
    : ImageException(string.Join('\n', reports), inner ?? new InvalidOperationException(string.Join('\n', reports)))
{
    public IReadOnlyList<string> Reports { get; } = reports;
}
