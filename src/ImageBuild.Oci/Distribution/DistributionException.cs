namespace ImageBuild.Oci.Distribution;

/// <summary>
/// A push or pull that cannot be done for a reason of its own (not the registry's, not the content's): the
/// reference names no image, an image of a kind a containerDisk cannot hold, a destination that is not usable.
/// The message is one line naming the reference or the file.
/// </summary>
public sealed class DistributionException : Exception
{
    public DistributionException(string message) : base(message)
    {
    }

    public DistributionException(string message, Exception inner) : base(message, inner)
    {
    }
}
