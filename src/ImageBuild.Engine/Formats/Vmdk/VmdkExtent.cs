using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>Reads the guest bytes under an extent range from the layer below (the backing file, or zeros without one).</summary>
/// <param name="extentOffset">Offset relative to the extent's start.</param>
internal delegate void BelowReader(long extentOffset, Span<byte> dest);

/// <summary>
/// One extent of a VMDK disk (qemu's VmdkExtent): a run of the disk's sectors kept in one file (or nowhere, for ZERO),
/// in the order the descriptor lists them. Offsets given to an extent are relative to its first byte in the disk.
/// The device splits requests at extent boundaries; an extent splits them at grain boundaries as it needs.
/// </summary>
internal abstract class VmdkExtent : IDisposable
{
    protected VmdkExtent(string type, long length, HostFile? file)
    {
        Type = type;
        Length = length;
        File = file;
    }

    /// <summary>The descriptor's extent type keyword (SPARSE, FLAT, ZERO, VMFS, VMFSSPARSE, SESPARSE); info prints it.</summary>
    public string Type { get; }

    /// <summary>Bytes of the disk this extent covers (the descriptor's sector count × 512).</summary>
    public long Length { get; }

    /// <summary>The extent's file; null for a ZERO extent.</summary>
    public HostFile? File { get; }

    /// <summary>The grain size in bytes for sparse kinds; 0 for FLAT, VMFS and ZERO (qemu prints no cluster size then).</summary>
    public virtual int GrainSize => 0;

    /// <summary>Grains are compressed (streamOptimized).</summary>
    public virtual bool IsCompressed => false;

    /// <summary>Whether this kind can be written by this engine (qemu writes SPARSE, FLAT, VMFS; not COWD, seSparse, ZERO).</summary>
    public virtual bool IsWritable => false;

    /// <summary>The run starting at <paramref name="offset"/>, at most <paramref name="maxLength"/> long.</summary>
    public abstract GrainRun Lookup(long offset, long maxLength);

    /// <summary>Reads the bytes of a run <see cref="Lookup"/> gave as Data or Compressed; dest lies within that run.</summary>
    public virtual void ReadRun(GrainRun run, long offset, Span<byte> dest) => File!.Read(run.HostOffset, dest);

    /// <summary>
    /// Writes guest data at an extent offset. A sparse kind allocating a grain the write does not cover whole fills the
    /// rest of the grain from <paramref name="below"/> (qemu's copy-on-write from the backing file).
    /// </summary>
    public virtual void Write(long offset, ReadOnlySpan<byte> src, BelowReader below) =>
        throw new InvalidOperationException($"{Type} extents are read-only");

    /// <summary>
    /// Makes a range read as zeros without writing data where the kind can (zeroed grains); returns false when it
    /// cannot, and the device then writes zeros.
    /// </summary>
    public virtual bool TryWriteZeroes(long offset, long length) => false;

    /// <summary>Appends one compressed grain (streamOptimized) at a grain-aligned offset.</summary>
    public virtual void WriteCompressedGrain(long offset, ReadOnlySpan<byte> compressed) =>
        throw new InvalidOperationException($"{Type} extents take no compressed grains");

    /// <summary>
    /// <see cref="WriteCompressedGrain(long, ReadOnlySpan{byte})"/> byte-identical to qemu over a backing file: qemu
    /// first fills the new grain's place in the file from <paramref name="below"/> (get_whole_cluster), and what the
    /// compressed data does not overwrite stays in the file.
    /// </summary>
    public virtual void WriteCompressedGrain(long offset, ReadOnlySpan<byte> compressed, BelowReader below) =>
        WriteCompressedGrain(offset, compressed);

    /// <summary>
    /// The codec for this extent's compressed grains (convert's parallel pipeline): qemu's zlib by default; a
    /// VMware-layout stream may use another deflate (contract: added for stream_layout=vmware).
    /// </summary>
    public virtual Compression.ClusterCompressor CreateGrainCompressor(Compression.DeflateLibrary deflate) => new VmdkGrainCompressor(deflate);

    /// <summary>Ends a run of compressed writes.</summary>
    public virtual void FinishCompressedWrites() { }

    public virtual void Flush() => File?.Flush();

    public virtual void Dispose() => File?.Dispose();
}
