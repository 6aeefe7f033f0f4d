using System.Runtime.InteropServices;
using System.Text;
using ImageBuild.Engine.Compression;

namespace ImageBuild.Engine.Formats.Cloop;

/// <summary>
/// zlib's inflate (the machine's libz, as qemu uses it) for cloop blocks, fed piecewise: the compressed block in
/// chunks, the output into pages. A block is good only when the zlib stream ends (trailer and Adler-32 included)
/// with exactly the block's size of output, as qemu requires of its inflate(Z_FINISH); a stream that would inflate
/// past the block (a decompression bomb) stops at the block's end and fails. .NET's ZLibStream is not used because
/// it reports a stream cut before its trailer as a normal end. The z_stream lives in native memory so that zlib's
/// pointer back to it stays valid across calls; input and output buffers must be pinned by the caller.
/// </summary>
internal sealed unsafe class CloopInflater : IDisposable
{
    private const int ZNoFlush = 0;
    private const int ZNeedDict = 2;

    private ZStream* _strm;

    public CloopInflater()
    {
        var zlib = ZlibLibrary.TryGet(out string error) ?? throw new ImageException($"Cannot read cloop blocks: {error}");
        byte[] version = Encoding.ASCII.GetBytes(zlib.Version + "\0");
        _strm = (ZStream*)NativeMemory.AllocZeroed((nuint)sizeof(ZStream));
        fixed (byte* v = version)
        {
            int rc = ZlibLibrary.InflateInit(_strm, v, sizeof(ZStream));
            if (rc != ZlibLibrary.ZOk)
            {
                NativeMemory.Free(_strm);
                _strm = null;
                throw new ImageException($"zlib inflateInit failed ({rc})");
            }
        }
    }

    /// <summary>Starts a new stream (qemu's inflateReset before each block).</summary>
    public void Reset()
    {
        if (ZlibLibrary.InflateReset(_strm) != ZlibLibrary.ZOk) throw new ImageException("zlib inflateReset failed");
    }

    /// <summary>Total output of the current stream.</summary>
    public ulong TotalOut => _strm->TotalOut.Value;

    /// <summary>Input not consumed yet.</summary>
    public uint AvailIn => _strm->AvailIn;

    /// <summary>Output space not filled yet.</summary>
    public uint AvailOut => _strm->AvailOut;

    /// <summary>Gives the next input chunk (pinned by the caller until it is consumed).</summary>
    public void SetInput(byte* input, uint length)
    {
        _strm->NextIn = input;
        _strm->AvailIn = length;
    }

    /// <summary>Gives the next output space (pinned by the caller).</summary>
    public void SetOutput(byte* output, uint length)
    {
        _strm->NextOut = output;
        _strm->AvailOut = length;
    }

    /// <summary>One inflate step: the zlib result (Z_STREAM_END when the stream is complete, Z_BUF_ERROR when stuck).</summary>
    public int Step(bool finish)
    {
        int rc = ZlibLibrary.Inflate(_strm, finish ? ZlibLibrary.ZFinish : ZNoFlush);
        return rc == ZNeedDict ? -3 : rc; // a preset dictionary is not available: a data error, as for qemu
    }

    public void Dispose()
    {
        if (_strm is null) return;
        ZlibLibrary.InflateEnd(_strm);
        NativeMemory.Free(_strm);
        _strm = null;
    }
}
