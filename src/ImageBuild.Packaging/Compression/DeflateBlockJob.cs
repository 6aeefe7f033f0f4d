using System.Buffers;
using System.IO.Compression;
using ImageBuild.Engine;
using ImageBuild.Engine.Compression;

namespace ImageBuild.Packaging.Compression;

/// <summary>
/// One block of a parallel gzip member: raw deflate (RFC 1951) of <see cref="DataLength"/> input bytes, ended with a
/// sync flush (an empty stored block, so the next block starts on a byte boundary) or, for the last block, with the
/// final block. With the machine's zlib the compressor is primed with the 32 KiB before the block, as pigz does, so
/// the ratio is close to a single-threaded deflate; .NET's bundled zlib cannot be primed, so there blocks are
/// independent. Either way the output depends only on the input, the level and the block size.
/// </summary>
internal sealed class DeflateBlockJob : WorkerJob
{
    /// <summary>The deflate window: how far back a match may reach, and so how much dictionary a block needs.</summary>
    public const int WindowSize = 32 * 1024;

    private readonly ZlibLibrary? _zlib;
    private readonly int _level;

    public DeflateBlockJob(ZlibLibrary? zlib, int level, int blockSize)
    {
        _zlib = zlib;
        _level = level;
        Input = ArrayPool<byte>.Shared.Rent(WindowSize + blockSize);
        Output = ArrayPool<byte>.Shared.Rent(OutputBound(blockSize));
    }

    /// <summary>The dictionary (<see cref="DictionaryLength"/> bytes) followed by the block's data.</summary>
    public byte[] Input { get; }
    public int DictionaryLength { get; set; }
    public int DataLength { get; set; }
    public bool Last { get; set; }

    public byte[] Output { get; }
    public int OutputLength { get; private set; }

    /// <summary>
    /// Room enough for deflate of <paramref name="length"/> bytes plus the flush: stored blocks add 5 bytes per
    /// 64 KiB at worst, zlib's own bound adds about 1/8 + 1/64; the sync flush or final block a few bytes more.
    /// </summary>
    public static int OutputBound(int length) => length + (length >> 3) + (length >> 6) + 64;

    public override void Run()
    {
        ReadOnlySpan<byte> dictionary = Input.AsSpan(0, DictionaryLength);
        ReadOnlySpan<byte> data = Input.AsSpan(DictionaryLength, DataLength);
        OutputLength = _zlib is not null
            ? _zlib.RawDeflateBlock(dictionary, data, Output, _level, Last)
            : ManagedDeflate(data);
        if (OutputLength < 0) throw new ImageException("gzip: a deflate block overflowed its output bound");
    }

    private int ManagedDeflate(ReadOnlySpan<byte> data)
    {
        var sink = new MemoryStream(Output.Length);
        int length;
        using (var deflate = new DeflateStream(sink, new ZLibCompressionOptions { CompressionLevel = _level }, leaveOpen: true))
        {
            deflate.Write(data);
            deflate.Flush(); // Z_SYNC_FLUSH: ends on a byte boundary without ending the stream
            length = (int)sink.Length;
        }
        if (Last) length = (int)sink.Length; // disposing wrote the final (empty) block
        if (length > Output.Length) return -1;
        sink.GetBuffer().AsSpan(0, length).CopyTo(Output);
        return length;
    }

    public void ReturnBuffers()
    {
        ArrayPool<byte>.Shared.Return(Input);
        ArrayPool<byte>.Shared.Return(Output);
    }
}
