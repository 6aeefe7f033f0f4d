namespace ImageBuild.Engine;

/// <summary>
/// A failure the user should see as one line, worded as qemu-img words it
/// (the CLI prefixes "imagebuild: "). Never carries a stack trace to the user.
/// </summary>
public class ImageException : Exception
{
    public ImageException(string message) : base(message) { }
    public ImageException(string message, Exception inner) : base(message, inner) { }

    /// <summary>errno-like code when the failure maps to one (for messages such as "Input/output error").</summary>
    public int Errno { get; init; }
}

/// <summary>An image's metadata is inconsistent or hostile. The message names the file and, where known, the offset.</summary>
public sealed class ImageCorruptException : ImageException
{
    public ImageCorruptException(string message) : base(message) { }
}
