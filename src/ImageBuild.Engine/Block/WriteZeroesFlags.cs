namespace ImageBuild.Engine.Block;

[Flags]
public enum WriteZeroesFlags
{
    None = 0,
    /// <summary>The driver may deallocate (discard / punch a hole / zero cluster without storage).</summary>
    MayUnmap = 1,
}
