namespace ImageBuild.Oci.Layers;

/// <summary>Writes GNU sparse 1.0 map numbers (decimal, one per line) to a stream through a small buffer.</summary>
internal sealed class MapTextWriter : IDisposable
{
    private readonly Stream _output;
    private readonly byte[] _buffer = new byte[64 << 10];
    private int _used;

    public MapTextWriter(Stream output) => _output = output;

    public void Number(long value)
    {
        if (_used > _buffer.Length - 24) Flush();
        value.TryFormat(_buffer.AsSpan(_used), out int written, provider: System.Globalization.CultureInfo.InvariantCulture);
        _used += written;
        _buffer[_used++] = (byte)'\n';
    }

    public void Dispose() => Flush();

    private void Flush()
    {
        _output.Write(_buffer, 0, _used);
        _used = 0;
    }
}
