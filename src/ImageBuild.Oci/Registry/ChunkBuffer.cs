using System.Net;
using System.Security.Cryptography;

namespace ImageBuild.Oci.Registry;

/// <summary>
/// One upload chunk held in memory so that a failed PATCH can be sent again: at most ChunkSize bytes, in arrays of at
/// most 8 MiB (no array reaches 16 MiB), reused from chunk to chunk. The sha256 of everything read is kept as it goes.
/// </summary>
internal sealed class ChunkBuffer : IDisposable
{
    public const int MaxSegment = 8 << 20;

    private readonly List<byte[]> _segments = [];
    private readonly long _capacity;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public ChunkBuffer(long capacity)
    {
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity), "the chunk size must be positive");
        _capacity = capacity;
    }

    /// <summary>Bytes in the current chunk.</summary>
    public long Length { get; private set; }

    /// <summary>Bytes read from the content so far (every chunk).</summary>
    public long TotalRead { get; private set; }

    /// <summary>True once the content has ended.</summary>
    public bool Ended { get; private set; }

    /// <summary>Replaces the chunk with the next bytes of <paramref name="content"/> (until full or the end).</summary>
    public async Task FillAsync(Stream content, CancellationToken ct)
    {
        Length = 0;
        while (Length < _capacity && !Ended)
        {
            int index = (int)(Length / MaxSegment);
            int offset = (int)(Length % MaxSegment);
            if (index == _segments.Count)
                _segments.Add(new byte[(int)Math.Min(MaxSegment, _capacity - (long)index * MaxSegment)]);
            var segment = _segments[index];
            int n = await content.ReadAsync(segment.AsMemory(offset, (int)Math.Min(segment.Length - offset, _capacity - Length)), ct).ConfigureAwait(false);
            if (n == 0) { Ended = true; break; }
            _hash.AppendData(segment, offset, n);
            Length += n;
            TotalRead += n;
        }
    }

    /// <summary>Forgets everything read (the content is read again from its start).</summary>
    public void Reset()
    {
        Length = 0;
        TotalRead = 0;
        Ended = false;
        _hash.GetHashAndReset();
    }

    /// <summary>The digest of all content read; call once the content has ended.</summary>
    public string Digest()
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        _hash.GetCurrentHash(hash);
        return Artifacts.OciDigest.FromHash(hash);
    }

    public void Dispose() => _hash.Dispose();

    /// <summary>The chunk's bytes from <paramref name="offset"/> on, as a request body that can be made again.</summary>
    public HttpContent Content(long offset) => new ChunkContent(this, offset);

    private sealed class ChunkContent(ChunkBuffer buffer, long offset) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            await SerializeToStreamAsync(stream, context, CancellationToken.None).ConfigureAwait(false);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            for (long position = offset; position < buffer.Length;)
            {
                var segment = buffer._segments[(int)(position / MaxSegment)];
                int start = (int)(position % MaxSegment);
                int count = (int)Math.Min(segment.Length - start, buffer.Length - position);
                await stream.WriteAsync(segment.AsMemory(start, count), cancellationToken).ConfigureAwait(false);
                position += count;
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = buffer.Length - offset;
            return true;
        }
    }
}
