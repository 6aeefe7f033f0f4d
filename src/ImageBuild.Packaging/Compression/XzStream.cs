using System.Buffers;
using System.Runtime.InteropServices;
using ImageBuild.Engine;

namespace ImageBuild.Packaging.Compression;

/// <summary>
/// Writes one .xz stream (The .xz File Format 1.1.0) with liblzma's multithreaded encoder: LZMA2 at the preset equal
/// to the level, CRC64 check (as xz writes by default), and a FIXED block size of three times the preset's
/// dictionary, at least 1 MiB (what xz -T uses). Every block is compressed independently and its size does not
/// depend on the thread count, so neither does the stream: threads only decide how many blocks run at once, and
/// they are capped so the encoder stays within 1 GiB (as liblzma estimates it).
/// </summary>
internal sealed unsafe class XzStream : CompressingStream
{
    private const ulong MemoryBudget = 1UL << 30;

    /// <summary>LZMA2 dictionary size of presets 0–9 (lzma/container.h's table of presets).</summary>
    private static readonly int[] DictionaryMiB = [0, 1, 2, 4, 4, 8, 8, 16, 32, 64];

    private LzmaStream* _strm;
    private readonly byte[] _out;

    public XzStream(Stream output, int level, int threads, bool leaveOpen) : base(output, leaveOpen)
    {
        if (!LzmaLibrary.TryLoad(out string error)) throw new ImageException(error);
        var mt = new LzmaMt
        {
            Preset = (uint)level,
            BlockSize = BlockSize(level),
            Check = LzmaLibrary.CheckCrc64,
            Timeout = 0,
        };
        mt.Threads = (uint)CappedThreads(&mt, threads);
        _strm = (LzmaStream*)NativeMemory.AllocZeroed((nuint)sizeof(LzmaStream));
        int rc = LzmaLibrary.StreamEncoderMt(_strm, &mt);
        if (rc != LzmaLibrary.Ok)
        {
            NativeMemory.Free(_strm);
            _strm = null;
            throw new ImageException($"xz: liblzma could not start its encoder ({Describe(rc)})");
        }
        _out = ArrayPool<byte>.Shared.Rent(1 << 20);
    }

    /// <summary>The block size for a preset: 3 × dictionary, at least 1 MiB (preset 0's dictionary is 256 KiB).</summary>
    public static ulong BlockSize(int level) => Math.Max(1UL << 20, 3UL * (level == 0 ? 256UL << 10 : (ulong)DictionaryMiB[level] << 20));

    private static int CappedThreads(LzmaMt* mt, int threads)
    {
        for (int n = Math.Max(1, threads); n > 1; n--)
        {
            mt->Threads = (uint)n;
            ulong usage = LzmaLibrary.StreamEncoderMtMemusage(mt);
            if (usage != ulong.MaxValue && usage <= MemoryBudget) return n;
        }
        return 1;
    }

    protected override void WriteCore(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* src = buffer)
        {
            _strm->NextIn = src;
            _strm->AvailIn = (nuint)buffer.Length;
            try
            {
                while (_strm->AvailIn > 0) Step(LzmaLibrary.Run);
            }
            finally
            {
                _strm->NextIn = null;
                _strm->AvailIn = 0;
            }
        }
    }

    protected override void Finish()
    {
        while (!Step(LzmaLibrary.FinishAction)) { }
        Output.Flush();
    }

    /// <summary>One lzma_code call into the output buffer, written out; true when the stream has ended.</summary>
    private bool Step(int action)
    {
        fixed (byte* dst = _out)
        {
            _strm->NextOut = dst;
            _strm->AvailOut = (nuint)_out.Length;
            int rc = LzmaLibrary.Code(_strm, action);
            int produced = _out.Length - (int)_strm->AvailOut;
            _strm->NextOut = null;
            _strm->AvailOut = 0;
            if (rc != LzmaLibrary.Ok && rc != LzmaLibrary.StreamEnd)
                throw new ImageException($"xz: liblzma failed ({Describe(rc)})");
            if (produced > 0) Output.Write(_out, 0, produced);
            return rc == LzmaLibrary.StreamEnd;
        }
    }

    protected override void Release()
    {
        if (_strm != null)
        {
            LzmaLibrary.End(_strm);
            NativeMemory.Free(_strm);
            _strm = null;
        }
        if (_out is not null) ArrayPool<byte>.Shared.Return(_out);
    }

    private static string Describe(int rc) => rc switch
    {
        LzmaLibrary.MemError => "out of memory",
        LzmaLibrary.OptionsError => "unsupported options",
        _ => $"lzma_ret {rc}",
    };
}
