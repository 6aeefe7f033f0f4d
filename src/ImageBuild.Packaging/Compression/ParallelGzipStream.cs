using System.IO.Hashing;
using ImageBuild.Engine.Compression;

namespace ImageBuild.Packaging.Compression;

/// <summary>
/// Writes one gzip member (RFC 1952) whose deflate data (RFC 1951) is made in parallel the way pigz makes it: the
/// input is cut into blocks of a fixed <see cref="BlockSize"/>, each deflated on a worker (see
/// <see cref="DeflateBlockJob"/>) and written in order; CRC-32 and ISIZE cover the whole input. A block is only
/// sent once the next byte arrives, so the last block is never empty unless the whole input is. The bytes depend on
/// the input, the level and whether the machine's zlib is used, never on the thread count.
/// </summary>
internal sealed class ParallelGzipStream : CompressingStream
{
    /// <summary>The block each worker deflates: pigz's default, small enough for 2×threads of them in flight.</summary>
    public const int BlockSize = 128 * 1024;

    private readonly ZlibLibrary? _zlib;
    private readonly int _level;
    private readonly OrderedWorkers<DeflateBlockJob> _workers;
    private readonly Crc32 _crc = new();
    private DeflateBlockJob _current;
    private long _length;

    /// <param name="zlib">The machine's zlib, or null for .NET's deflate (independent blocks).</param>
    public ParallelGzipStream(Stream output, int level, int threads, ZlibLibrary? zlib, bool leaveOpen)
        : base(output, leaveOpen)
    {
        _zlib = zlib;
        _level = level;
        Span<byte> header = stackalloc byte[GzipMember.HeaderLength];
        GzipMember.WriteHeader(header, level);
        output.Write(header);
        _workers = new OrderedWorkers<DeflateBlockJob>(threads, "gzip deflate", WriteBlock);
        _current = new DeflateBlockJob(_zlib, _level, BlockSize);
    }

    protected override void WriteCore(ReadOnlySpan<byte> buffer)
    {
        _crc.Append(buffer);
        _length += buffer.Length;
        while (!buffer.IsEmpty)
        {
            if (_current.DataLength == BlockSize) SubmitCurrent(last: false);
            int n = Math.Min(BlockSize - _current.DataLength, buffer.Length);
            buffer[..n].CopyTo(_current.Input.AsSpan(_current.DictionaryLength + _current.DataLength));
            _current.DataLength += n;
            buffer = buffer[n..];
        }
    }

    protected override void Finish()
    {
        SubmitCurrent(last: true);
        _workers.Drain();
        Span<byte> trailer = stackalloc byte[GzipMember.TrailerLength];
        GzipMember.WriteTrailer(trailer, _crc.GetCurrentHashAsUInt32(), _length);
        Output.Write(trailer);
        Output.Flush();
    }

    protected override void Release()
    {
        _workers.Dispose();
    }

    private void SubmitCurrent(bool last)
    {
        DeflateBlockJob job = _current;
        job.Last = last;
        if (!last)
        {
            // The next block's dictionary is the last 32 KiB of the input so far: the end of this block's
            // dictionary and data taken together.
            var next = new DeflateBlockJob(_zlib, _level, BlockSize);
            int end = job.DictionaryLength + job.DataLength;
            int dictionary = _zlib is null ? 0 : Math.Min(DeflateBlockJob.WindowSize, end);
            job.Input.AsSpan(end - dictionary, dictionary).CopyTo(next.Input);
            next.DictionaryLength = dictionary;
            _current = next;
        }
        _workers.Submit(job);
    }

    private void WriteBlock(DeflateBlockJob job)
    {
        Output.Write(job.Output, 0, job.OutputLength);
        job.ReturnBuffers();
    }
}
