using System.Buffers;
using ImageBuild.Engine;
using ImageBuild.Engine.Compression;

namespace ImageBuild.Packaging.Compression;

/// <summary>
/// Writes one zstd frame (RFC 8878 section 3.1.1) with libzstd's own worker threads (ZSTD_c_nbWorkers). zstd's
/// multithreaded mode cuts the input into jobs whose size depends only on the parameters, so its frame is the same
/// for every worker count ≥ 1 (but differs from the single-threaded mode, nbWorkers 0, which is therefore never
/// used). The frame always carries a content checksum (XXH64, Content_Checksum_Flag) and, when the caller knows
/// the input size up front, the Frame_Content_Size.
/// </summary>
internal sealed unsafe class ZstdFrameStream : CompressingStream
{
    /// <summary>What one worker may cost at most, as a share of the 1 GiB a compression may use.</summary>
    private const long MemoryBudget = 768L << 20;

    private readonly ZstdEncoder _encoder;
    private readonly byte[] _out;

    /// <param name="managed">Use ZstdSharp even where libzstd loads (what a machine without libzstd gets).</param>
    public ZstdFrameStream(Stream output, int level, int threads, long? contentSize, bool leaveOpen, bool managed = false)
        : base(output, leaveOpen)
    {
        _encoder = ZstdEncoder.Create(managed);
        try
        {
            Check(_encoder.SetParameter(ZstdEncoder.CompressionLevel, level));
            Check(_encoder.SetParameter(ZstdEncoder.ChecksumFlag, 1));
            Check(_encoder.SetParameter(ZstdEncoder.ContentSizeFlag, 1));
            Check(_encoder.SetParameter(ZstdEncoder.NbWorkers, Workers(level, threads)));
            if (contentSize is long size) Check(_encoder.SetPledgedSrcSize((ulong)size));
        }
        catch
        {
            _encoder.Dispose();
            throw;
        }
        _out = ArrayPool<byte>.Shared.Rent(1 << 20);
    }

    /// <summary>
    /// The worker count: as asked, at least one (see the class remark), and no more than the memory budget allows
    /// at high levels (libzstd's single-stream estimate, doubled for a worker's job buffers). Never changes the frame.
    /// </summary>
    private static int Workers(int level, int threads)
    {
        long perWorker = ZstdLibrary.TryLoad(out _) ? 2 * (long)ZstdLibrary.EstimateCStreamSize(level) : 64L << 20;
        return (int)Math.Clamp(MemoryBudget / Math.Max(1, perWorker), 1, Math.Max(1, threads));
    }

    protected override void WriteCore(ReadOnlySpan<byte> buffer) => Pump(buffer, ZstdEncoder.Continue);

    protected override void Finish()
    {
        Pump([], ZstdEncoder.End);
        Output.Flush();
    }

    protected override void Release()
    {
        _encoder.Dispose();
        ArrayPool<byte>.Shared.Return(_out);
    }

    /// <summary>Feeds <paramref name="input"/> through the encoder, writing output as it fills; for End until the frame is complete.</summary>
    private void Pump(ReadOnlySpan<byte> input, int endOp)
    {
        fixed (byte* src = input)
        fixed (byte* dst = _out)
        {
            nuint srcPos = 0;
            while (true)
            {
                nuint dstPos = 0;
                nuint rc = _encoder.Compress(dst, (nuint)_out.Length, ref dstPos, src, (nuint)input.Length, ref srcPos, endOp);
                Check(rc);
                if (dstPos > 0) Output.Write(_out, 0, (int)dstPos);
                bool consumed = srcPos == (nuint)input.Length;
                if (endOp == ZstdEncoder.End ? rc == 0 : consumed) return;
            }
        }
    }

    private void Check(nuint rc)
    {
        if (_encoder.IsError(rc)) throw new ImageException($"zstd ({_encoder.Library}): {_encoder.ErrorName(rc)}");
    }
}
