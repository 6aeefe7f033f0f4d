namespace ImageBuild.Engine.Host;

/// <summary>qemu's BLK_PERM_* bits that take part in image locking; bit i is locked at bytes 100+i and 200+i.</summary>
[Flags]
public enum BlockPermission
{
    None = 0,
    ConsistentRead = 1 << 0,
    Write = 1 << 1,
    WriteUnchanged = 1 << 2,
    Resize = 1 << 3,
    All = ConsistentRead | Write | WriteUnchanged | Resize,
}

/// <summary>What one opener holds (<see cref="Perm"/>) and lets others hold (<see cref="Shared"/>).</summary>
public readonly record struct LockRequest(BlockPermission Perm, BlockPermission Shared)
{
    public static LockRequest None => new(BlockPermission.None, BlockPermission.All);

    internal static string Name(int bit) => bit switch
    {
        0 => "consistent read",
        1 => "write",
        2 => "write unchanged",
        _ => "resize",
    };
}
