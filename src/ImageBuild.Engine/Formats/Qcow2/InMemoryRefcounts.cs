namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// qemu's in-memory refcount table (IMRT): the refcount of every host cluster as check computes it, stored
/// exactly like consecutive refcount blocks (same entry width and byte order), so that block
/// <c>i</c> of a rebuilt refcount structure is simply the i-th cluster-sized slice of it.
/// </summary>
internal sealed class InMemoryRefcounts
{
    /// <summary>Most bytes we will hold (qemu's limit is memory; this bounds the allocation).</summary>
    public const long MaxBytes = 1L << 30;

    private readonly int _order;
    private readonly int _clusterSize;
    private byte[] _data = [];

    public InMemoryRefcounts(int order, int clusterSize, long clusters)
    {
        _order = order;
        _clusterSize = clusterSize;
        Resize(clusters);
    }

    /// <summary>How many clusters the table covers (qemu's nb_clusters / refcount_table_size).</summary>
    public long Clusters { get; private set; }

    public ulong Max => RefcountBlock.MaxRefcount(_order);

    public ulong Get(long cluster) => cluster < Clusters ? RefcountBlock.Get(_data, cluster, _order) : 0;

    public void Set(long cluster, ulong value) => RefcountBlock.Set(_data, cluster, _order, value);

    /// <summary>Bytes needed for <paramref name="clusters"/> entries, rounded up to whole clusters.</summary>
    public long ByteSizeFor(long clusters)
    {
        long bytes = ((clusters << _order) + 7) / 8;
        return (bytes + _clusterSize - 1) / _clusterSize * _clusterSize;
    }

    /// <summary>realloc_refcount_array: grows (never shrinks) to cover <paramref name="clusters"/>; new entries are zero.</summary>
    public void Resize(long clusters)
    {
        long bytes = ByteSizeFor(clusters);
        if (bytes > MaxBytes)
            throw new ImageException("Cannot allocate memory");
        if (bytes > _data.Length)
        {
            var grown = new byte[bytes];
            _data.CopyTo(grown, 0);
            _data = grown;
        }
        Clusters = clusters;
    }

    /// <summary>The refcount block image for reftable index <paramref name="index"/> (one cluster).</summary>
    public ReadOnlySpan<byte> Block(long index)
    {
        long start = index * _clusterSize;
        if (start >= _data.Length) return ZeroBlock();
        return _data.AsSpan((int)start, _clusterSize);
    }

    private ReadOnlySpan<byte> ZeroBlock() => new byte[_clusterSize];

    public void Clear() => Array.Clear(_data);
}
