using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Formats.Vhdx;

/// <summary>
/// The create options as qemu's vhdx_co_create validates them (its messages), plus two ImageBuild extensions for
/// Hyper-V: logical_sector_size and physical_sector_size (VHDX 1.0 §2.6.2.4–5: 512 or 4096; qemu always writes 512
/// for both, which stays the default).
/// </summary>
internal sealed record VhdxCreateOptions(long Size, uint LogSize, uint BlockSize, bool Fixed, bool BlockStateZero,
    uint LogicalSectorSize, uint PhysicalSectorSize)
{
    public const uint DefaultLogSize = 1 << 20;

    public static VhdxCreateOptions Parse(CreateRequest request)
    {
        var opts = request.Options;
        // the QAPI enum is checked when the options are parsed, before vhdx_co_create looks at any value
        bool isFixed = opts.GetString("subformat") switch
        {
            null or "dynamic" => false,
            "fixed" => true,
            var other => throw new ImageException($"Parameter 'subformat' does not accept value '{other}'"),
        };
        long size = Sectors.RoundUp(request.Size); // qemu rounds the size up to whole 512-byte sectors
        if (size > VhdxLayout.MaxVirtualSize)
            throw new ImageException("Image size too large; max of 64TB");
        // vhdx_co_create_opts silently rounds the log and block sizes up to whole MiB, and the block size down to
        // 256 MiB, before vhdx_co_create checks them (so its "must not exceed" cannot be reached from qemu-img)
        long logSize = RoundUpMiB(opts.GetSize("log_size") ?? DefaultLogSize);
        if (logSize > uint.MaxValue)
            throw new ImageException("Log size must be smaller than 4 GB");
        if (logSize < VhdxLayout.MiB || logSize % VhdxLayout.MiB != 0)
            throw new ImageException("Log size must be a multiple of 1 MB");
        bool blockStateZero = opts.GetBool("block_state_zero") ?? true;
        long blockSize = Math.Min(RoundUpMiB(opts.GetSize("block_size") ?? 0), VhdxMetadata.MaxBlockSize);
        if (blockSize == 0)
            blockSize = AutoBlockSize(size);
        if (blockSize < VhdxLayout.MiB || blockSize % VhdxLayout.MiB != 0)
            throw new ImageException("Block size must be a multiple of 1 MB");
        if ((blockSize & (blockSize - 1)) != 0)
            throw new ImageException("Block size must be a power of two");
        if (blockSize > VhdxMetadata.MaxBlockSize)
            throw new ImageException($"Block size must not exceed {VhdxMetadata.MaxBlockSize}");
        uint logical = SectorSize(opts.GetSize("logical_sector_size"), "logical_sector_size");
        uint physical = SectorSize(opts.GetSize("physical_sector_size"), "physical_sector_size");
        return new VhdxCreateOptions(size, (uint)logSize, (uint)blockSize, isFixed, blockStateZero, logical, physical);
    }

    private static long RoundUpMiB(long n) => n > long.MaxValue - VhdxLayout.MiB ? n : (n + VhdxLayout.MiB - 1) / VhdxLayout.MiB * VhdxLayout.MiB;

    /// <summary>qemu's automatic block size, chosen to keep the BAT small: ≤1 GiB 8 MiB, ≤100 GiB 16 MiB, ≤32 TiB 32 MiB, else 64 MiB.</summary>
    public static long AutoBlockSize(long size) =>
        size > 32L << 40 ? 64 << 20 : size > 100L << 30 ? 32 << 20 : size > 1L << 30 ? 16 << 20 : 8 << 20;

    private static uint SectorSize(long? value, string name) => value switch
    {
        null or 512 => 512,
        4096 => 4096,
        _ => throw new ImageException($"{name} must be 512 or 4096"),
    };
}
