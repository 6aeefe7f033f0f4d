namespace ImageBuild.Oci.Layers;

/// <summary>
/// One-line messages for failures of the file system on host files, naming the file and saying what went wrong in
/// our words, so that no .NET exception text reaches users (the original stays as the inner exception).
/// </summary>
internal static class HostFileError
{
    private const int EEXIST = 17;
    private const int ENOSPC = 28;
    private const int EDQUOT = 122;

    /// <summary>True for what the file system throws.</summary>
    public static bool Is(Exception e) => e is IOException or UnauthorizedAccessException;

    /// <summary>An IOException "PATH: cannot DOING (REASON)".</summary>
    public static IOException Wrap(Exception e, string path, string doing) => new($"{path}: cannot {doing} ({Reason(e)})", e);

    private static string Reason(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "it does not exist",
        UnauthorizedAccessException => "permission denied",
        PathTooLongException => "the path is too long",
        IOException { HResult: EEXIST } => "it already exists",
        IOException { HResult: ENOSPC or EDQUOT } => "no space left on the device",
        _ => "input/output error",
    };
}
