using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Dmg;

public sealed partial class DmgDevice
{
    /// <summary>A chunk a request covers whole, decoded straight into the request's buffer.</summary>
    private readonly record struct DirectDecode(long Chunk, int DestOffset);

    protected override unsafe void ReadCore(long offset, Span<byte> dest)
    {
        lock (_lock)
        {
            var direct = new List<DirectDecode>();
            for (int done = 0; done < dest.Length;)
            {
                ulong sector = (ulong)((offset + done) / SectorSize);
                long index = _table.Find(sector);
                if (index < 0) throw ReadError($"no chunk holds sector {sector}");
                var chunk = _table[index];
                ulong inChunk = sector - chunk.Sector;
                int n = (int)Math.Min(dest.Length - done, (long)Math.Min(chunk.EndSector - sector, int.MaxValue / SectorSize) * SectorSize);
                var target = dest.Slice(done, n);
                if (DmgChunkType.IsZero(chunk.Type))
                    target.Clear();
                else if (!DmgChunkType.IsKnown(chunk.Type))
                    throw ReadError($"chunk type 0x{chunk.Type:x8} at sector {chunk.Sector} is not supported");
                else if (inChunk == 0 && n == chunk.DecodedBytes && index != _cachedChunk)
                    direct.Add(new DirectDecode(index, done));
                else
                    CachedChunk(index).Slice((int)(inChunk * SectorSize), n).CopyTo(target);
                done += n;
            }
            if (direct.Count == 0) return;
            fixed (byte* p = dest)
            {
                byte* basePtr = p;
                int length = dest.Length;
                if (direct.Count == 1)
                {
                    var d = direct[0];
                    Decode(d.Chunk, new Span<byte>(basePtr + d.DestOffset, (int)_table[d.Chunk].DecodedBytes));
                    return;
                }
                var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
                try
                {
                    Parallel.ForEach(direct, options, d =>
                        Decode(d.Chunk, new Span<byte>(basePtr + d.DestOffset, (int)_table[d.Chunk].DecodedBytes)));
                }
                catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault() is ImageException first)
                {
                    throw first;
                }
            }
        }
    }

    /// <summary>The decoded bytes of chunk <paramref name="index"/>, from the one-chunk cache (decoded into it if needed).</summary>
    private Span<byte> CachedChunk(long index)
    {
        int size = (int)_table[index].DecodedBytes;
        if (_cachedChunk != index)
        {
            _cachedChunk = -1;
            if (_cache is null || _cache.Length < size)
            {
                _cache?.Dispose();
                _cache = new NativeBuffer(size);
            }
            Decode(index, _cache.Span[..size]);
            _cachedChunk = index;
        }
        return _cache!.Span[..size];
    }

    /// <summary>Decodes chunk <paramref name="index"/> into <paramref name="dest"/> (its whole decoded size).</summary>
    private unsafe void Decode(long index, Span<byte> dest)
    {
        var chunk = _table[index];
        if (chunk.Offset > (ulong)_fileLength || chunk.Length > (ulong)_fileLength - chunk.Offset)
            throw ReadError($"{Describe(chunk)}: its data at offset {chunk.Offset} ({chunk.Length} bytes) lies past the end of the file ({_fileLength} bytes)");
        if (chunk.Type == DmgChunkType.Raw)
        {
            // read straight into place; a raw chunk stores its sectors as they are
            int n = (int)Math.Min(chunk.Length, (ulong)dest.Length);
            _file.Read((long)chunk.Offset, dest[..n]);
            dest[n..].Clear();
            return;
        }
        using var stored = new NativeBuffer((long)chunk.Length);
        _file.Read((long)chunk.Offset, stored.Span);
        try
        {
            ChunkDecoder.Decode(chunk.Type, stored.Pointer, stored.Length, dest);
        }
        catch (Exception e) when (e is not ImageException and not OutOfMemoryException)
        {
            // the decoders' verdict on corrupt data (a library's may be any exception type): qemu's EIO, named
            throw ReadError($"{Describe(chunk)}: {OneLine(e.Message)}");
        }
    }

    private static string Describe(DmgChunk chunk) =>
        $"{DmgChunkType.Describe(chunk.Type)} chunk {chunk.Index} (sectors {chunk.Sector}..{chunk.EndSector - 1})";

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").TrimEnd('.', ' ');

    /// <summary>qemu's -EIO of dmg_co_preadv, with what went wrong and where.</summary>
    private ImageException ReadError(string what) => new($"'{Filename}': {what}: Input/output error") { Errno = Eio };
}
