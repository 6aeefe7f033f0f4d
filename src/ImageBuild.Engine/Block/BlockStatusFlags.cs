namespace ImageBuild.Engine.Block;

/// <summary>
/// Block status flags, with qemu's bit values (BDRV_BLOCK_*), so that the raw status word compared by
/// <c>compare -s</c> means the same thing as in qemu.
/// </summary>
[Flags]
public enum BlockStatusFlags
{
    None = 0,
    /// <summary>Reads return data from this layer's storage (or compressed storage).</summary>
    Data = 0x01,
    /// <summary>The range reads as zeros.</summary>
    Zero = 0x02,
    /// <summary>HostOffset is valid: the range maps 1:1 to bytes in HostFile.</summary>
    OffsetValid = 0x04,
    /// <summary>This layer decides the content (does not fall through to its backing file).</summary>
    Allocated = 0x10,
    /// <summary>The range reaches the end of the device.</summary>
    Eof = 0x20,
    /// <summary>Driver hint: ask the host file whether the mapped range is a hole (then also Zero).</summary>
    Recurse = 0x40,
    /// <summary>The range is stored compressed.</summary>
    Compressed = 0x80,
}
