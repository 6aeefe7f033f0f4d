namespace ImageBuild.Recipes.Cache.Remote;

/// <summary>
/// A step cache could not answer, refused, or served something untrusted. The message is one line that names the
/// store and what failed, never credentials and never the text of a .NET exception.
/// </summary>
public sealed class StepCacheException(string message, Exception? inner = null) : Exception(message, inner);
