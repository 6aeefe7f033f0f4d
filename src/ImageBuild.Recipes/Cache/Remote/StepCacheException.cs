namespace ImageBuild.Recipes.Cache.Remote;

/// <summary>
/// A step cache could not answer, refused, or served something untrusted. The message is one line that names the
/// store and what failed, never credentials and never the text of a .NET exception.
/// </summary>
public sealed class StepCacheException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>
    /// The store cannot be used at all: it could not be reached (after the client's own retries), or it refused the
    /// credentials or the access. The run asks it nothing more, rather than have every step fail the same way in turn.
    /// </summary>
    public bool Unusable { get; init; }
}
