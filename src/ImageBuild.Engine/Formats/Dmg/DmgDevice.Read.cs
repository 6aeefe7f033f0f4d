namespace ImageBuild.Engine.Formats.Dmg;

public sealed partial class DmgDevice
{
    /// <summary>
    /// A chunk to decode for a request: straight into the request's buffer at <see cref="DestOffset"/> when the request
    /// covers it whole, or into the one-chunk cache (<see cref="IntoCache"/>) when it covers only part of it.
    /// </summary>
    private readonly record struct Decoding(long Chunk, int DestOffset)
    {
        public bool IntoCache => DestOffset < 0;
    }

    /// <summary>Part of the cached chunk a request takes once the cache holds it.</summary>
    private readonly record struct CacheCopy(int InChunk, int DestOffset, int Length);

    protected override unsafe void ReadCore(long offset, Span<byte> dest)
    {
        lock (_lock)
        {
            var decodings = new List<Decoding>();
            var fromCache = new List<CacheCopy>();
            long cacheFill = -1;
            for (int done = 0; done < dest.Length;)
            {
                ulong sector = (ulong)((offset + done) / SectorSize);
                long index = _table.Find(sector);
                if (index < 0) throw ReadError($"no chunk holds sector {sector}");
                var chunk = _table[index];
                int inChunk = (int)(sector - chunk.Sector) * SectorSize;
                int n = (int)Math.Min(dest.Length - done, (long)Math.Min(chunk.EndSector - sector, int.MaxValue / SectorSize) * SectorSize);
                var target = dest.Slice(done, n);
                if (DmgChunkType.IsZero(chunk.Type))
                    target.Clear();
                else if (!DmgChunkType.IsKnown(chunk.Type))
                    throw ReadError($"chunk type 0x{chunk.Type:x8} at sector {chunk.Sector} is not supported");
                else if (index == _cachedChunk && cacheFill < 0)
                    _cache!.Span.Slice(inChunk, n).CopyTo(target);
                else if (inChunk == 0 && n == chunk.DecodedBytes)
                    decodings.Add(new Decoding(index, done));
                else if (cacheFill < 0 || cacheFill == index)
                {
                    // decoded into the cache together with the request's other chunks (a sequential read's last one)
                    if (cacheFill < 0) decodings.Add(new Decoding(index, -1));
                    cacheFill = index;
                    fromCache.Add(new CacheCopy(inChunk, done, n));
                }
                else
                {
                    // a second chunk the request covers in part (only when reads jump about): one at a time
                    CachedChunk(index).Slice(inChunk, n).CopyTo(target);
                }
                done += n;
            }
            if (decodings.Count == 0) return;
            if (cacheFill >= 0) PrepareCache(cacheFill);
            fixed (byte* p = dest)
            {
                byte* basePtr = p;
                if (decodings.Count == 1)
                {
                    Decode(decodings[0], basePtr);
                }
                else
                {
                    try
                    {
                        Parallel.ForEach(decodings, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                            d => Decode(d, basePtr));
                    }
                    catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault() is ImageException first)
                    {
                        throw first;
                    }
                }
            }
            if (cacheFill < 0) return;
            _cachedChunk = cacheFill;
            foreach (var c in fromCache)
                _cache!.Span.Slice(c.InChunk, c.Length).CopyTo(dest.Slice(c.DestOffset, c.Length));
        }
    }

    private unsafe void Decode(Decoding d, byte* dest)
    {
        int size = (int)_table[d.Chunk].DecodedBytes;
        Decode(d.Chunk, d.IntoCache ? _cache!.Span[..size] : new Span<byte>(dest + d.DestOffset, size));
    }

    /// <summary>Makes the cache large enough for chunk <paramref name="index"/> and marks it empty until that is decoded.</summary>
    private void PrepareCache(long index)
    {
        int size = (int)_table[index].DecodedBytes;
        _cachedChunk = -1;
        if (_cache is null || _cache.Length < size)
        {
            _cache?.Dispose();
            _cache = new NativeBuffer(size);
        }
    }

    /// <summary>The decoded bytes of chunk <paramref name="index"/>, from the one-chunk cache (decoded into it if needed).</summary>
    private Span<byte> CachedChunk(long index)
    {
        int size = (int)_table[index].DecodedBytes;
        if (_cachedChunk != index)
        {
            PrepareCache(index);
            Decode(index, _cache!.Span[..size]);
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
            File.Read((long)chunk.Offset, dest[..n]);
            dest[n..].Clear();
            return;
        }
        using var stored = new NativeBuffer((long)chunk.Length);
        File.Read((long)chunk.Offset, stored.Span);
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
