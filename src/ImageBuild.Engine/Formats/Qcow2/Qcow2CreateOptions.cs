using ImageBuild.Engine.Formats.File;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>Validated qcow2 create options (qcow2_co_create_opts + qcow2_co_create checks, qemu's wording).</summary>
internal sealed record Qcow2CreateOptions(
    int Version, int ClusterBits, bool ExtendedL2, Preallocation Preallocation, byte CompressionType,
    string? BackingFile, string? BackingFormat, string? DataFile, bool DataFileRaw, bool LazyRefcounts, int RefcountOrder,
    Qcow2EncryptionOptions? Encryption)
{
    public static Qcow2CreateOptions Parse(OptionValues o)
    {
        int version = o.GetString("compat") switch
        {
            null or "1.1" or "v3" => 3,
            "0.10" or "v2" => 2,
            var v => throw new ImageException($"Parameter 'version' does not accept value '{v}'"),
        };
        if (o.GetString("backing_fmt") is { } bf && !Block.QemuDriverNames.IsKnown(bf))
            throw new ImageException($"Parameter 'backing-fmt' does not accept value '{bf}'");
        var encryption = Qcow2EncryptionOptions.Parse(o); // QAPI visits "encrypt" after "backing-fmt"
        long cs = o.GetSize("cluster_size") ?? 65536;
        if (cs < 512 || cs > 2 << 20 || (cs & (cs - 1)) != 0)
            throw new ImageException("Cluster size must be a power of two between 512 and 2048k");
        int bits = System.Numerics.BitOperations.Log2((ulong)cs);
        var prealloc = o.GetString("preallocation") switch
        {
            null or "off" => Preallocation.Off,
            "metadata" => Preallocation.Metadata,
            "falloc" => Preallocation.Falloc,
            "full" => Preallocation.Full,
            var v => throw new ImageException($"Parameter 'preallocation' does not accept value '{v}'"),
        };
        byte ctype = o.GetString("compression_type") switch
        {
            null or "zlib" => 0,
            "zstd" => 1,
            var v => throw new ImageException($"Parameter 'compression-type' does not accept value '{v}'"),
        };
        bool lazy = o.GetBool("lazy_refcounts") ?? false;
        bool extended = o.GetBool("extended_l2") ?? false;
        long refBits = o.GetNumber("refcount_bits") ?? 16;
        string? backing = o.GetString("backing_file");
        string? backingFmt = o.GetString("backing_fmt");
        string? dataFile = o.GetString("data_file");
        bool dataRaw = o.GetBool("data_file_raw") ?? false;

        if (version < 3 && lazy)
            throw new ImageException("Lazy refcounts only supported with compatibility level 1.1 and above (use version=v3 or greater)");
        if (refBits > 64 || refBits <= 0 || (refBits & (refBits - 1)) != 0)
            throw new ImageException("Refcount width must be a power of two and may not exceed 64 bits");
        if (version < 3 && refBits != 16)
            throw new ImageException("Different refcount widths than 16 bits require compatibility level 1.1 or above (use version=v3 or greater)");
        int order = System.Numerics.BitOperations.Log2((ulong)refBits);
        if (version < 3 && dataFile is not null)
            throw new ImageException("External data files are only supported with compatibility level 1.1 and above (use version=v3 or greater)");
        if (dataRaw && dataFile is null)
            throw new ImageException("data-file-raw requires data-file");
        if (dataRaw && backing is not null)
            throw new ImageException("Backing file and data-file-raw cannot be used at the same time");
        if (backing is not null && prealloc != Preallocation.Off && !extended)
            throw new ImageException("Backing file and preallocation can only be used at the same time if extended_l2 is on");
        if (backingFmt is not null && backing is null)
            throw new ImageException("Backing format cannot be used without backing file");
        if (extended && version < 3)
            throw new ImageException("Extended L2 entries are only supported with compatibility level 1.1 and above (use version=v3 or greater)");
        if (extended && cs < 16384)
            throw new ImageException("Extended L2 entries are only supported with cluster sizes of at least 16384 bytes");
        if (ctype != 0 && version < 3)
            throw new ImageException("Non-zlib compression type is only supported with compatibility level 1.1 and above (use version=v3 or greater)");
        if (dataRaw && prealloc == Preallocation.Off)
            prealloc = Preallocation.Metadata;
        return new Qcow2CreateOptions(version, bits, extended, prealloc, ctype, backing, backingFmt, dataFile, dataRaw, lazy, order, encryption);
    }
}
