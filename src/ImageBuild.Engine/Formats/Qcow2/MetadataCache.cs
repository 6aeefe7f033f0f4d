using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// A write-back LRU cache of metadata clusters (L2 tables or refcount blocks) with a fixed number of entries,
/// so memory stays bounded whatever the image size. <see cref="BeforeWriteback"/> runs before any dirty entry is
/// written, which is how the L2 cache makes refcount blocks reach the disk before the L2 tables that use them.
/// </summary>
internal sealed class MetadataCache
{
    private sealed class Entry
    {
        public required long Offset;
        public required byte[] Data;
        public bool Dirty;
        public LinkedListNode<Entry>? Node;
    }

    private readonly HostFile _file;
    private readonly int _clusterSize;
    private readonly int _capacity;
    private readonly Dictionary<long, Entry> _map = new();
    private readonly LinkedList<Entry> _lru = new();
    private readonly Stack<byte[]> _spare = new();

    public MetadataCache(HostFile file, int clusterSize, int capacity)
    {
        _file = file;
        _clusterSize = clusterSize;
        _capacity = Math.Max(2, capacity);
    }

    /// <summary>Runs before dirty entries are written (eviction or flush).</summary>
    public Action? BeforeWriteback { get; set; }

    /// <summary>Runs before each entry is written, with its offset; throws to refuse the write (qemu's overlap check).</summary>
    public Action<long>? BeforeEntryWrite { get; set; }

    public int Count => _map.Count;

    /// <summary>The cluster at <paramref name="offset"/>, loaded from the file when not cached.</summary>
    public byte[] Get(long offset)
    {
        if (_map.TryGetValue(offset, out var e))
        {
            Touch(e);
            return e.Data;
        }
        var data = NewBuffer();
        _file.Read(offset, data);
        return Insert(offset, data).Data;
    }

    /// <summary>A zeroed cluster for <paramref name="offset"/> (not read from disk), marked dirty.</summary>
    public byte[] GetEmpty(long offset)
    {
        if (_map.TryGetValue(offset, out var e))
        {
            Array.Clear(e.Data);
            e.Dirty = true;
            Touch(e);
            return e.Data;
        }
        var data = NewBuffer();
        Array.Clear(data);
        var n = Insert(offset, data);
        n.Dirty = true;
        return data;
    }

    public void MarkDirty(long offset)
    {
        if (_map.TryGetValue(offset, out var e)) e.Dirty = true;
    }

    /// <summary>Drops an entry without writing it (its cluster was freed).</summary>
    public void Discard(long offset)
    {
        if (_map.Remove(offset, out var e))
        {
            _lru.Remove(e.Node!);
            _spare.Push(e.Data);
        }
    }

    /// <summary>Drops every entry without writing it (callers flush first when that matters).</summary>
    public void Clear()
    {
        foreach (var e in _lru) _spare.Push(e.Data);
        _lru.Clear();
        _map.Clear();
    }

    public void Flush()
    {
        bool any = false;
        foreach (var e in _lru)
            if (e.Dirty) { any = true; break; }
        if (!any) return;
        BeforeWriteback?.Invoke();
        // Write in offset order so sequential metadata goes out sequentially.
        var dirty = new List<Entry>();
        foreach (var e in _lru)
            if (e.Dirty) dirty.Add(e);
        dirty.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        foreach (var e in dirty)
        {
            BeforeEntryWrite?.Invoke(e.Offset);
            _file.Write(e.Offset, e.Data);
            e.Dirty = false;
        }
    }

    private Entry Insert(long offset, byte[] data)
    {
        while (_map.Count >= _capacity)
            Evict();
        var e = new Entry { Offset = offset, Data = data };
        e.Node = _lru.AddFirst(e);
        _map[offset] = e;
        return e;
    }

    private void Evict()
    {
        var victim = _lru.Last!.Value;
        if (victim.Dirty)
        {
            BeforeWriteback?.Invoke();
            BeforeEntryWrite?.Invoke(victim.Offset);
            _file.Write(victim.Offset, victim.Data);
            victim.Dirty = false;
        }
        _lru.RemoveLast();
        _map.Remove(victim.Offset);
        _spare.Push(victim.Data);
    }

    private void Touch(Entry e)
    {
        if (e.Node != _lru.First)
        {
            _lru.Remove(e.Node!);
            _lru.AddFirst(e.Node!);
        }
    }

    private byte[] NewBuffer() => _spare.Count > 0 ? _spare.Pop() : new byte[_clusterSize];
}
