using Microsoft.Win32.SafeHandles;

namespace ImageBuild.Filesystems.Fat;

/// <summary>
/// Writes the data region front to back through 1 MiB buffers (4 MiB writes were measured to cost three times the
/// kernel copy time right after another large write to the same filesystem; bench/filesystems). The runs of a <see cref="FatPlan"/> follow each
/// other without gaps, so directories, file contents and the zeros that end each run's last cluster go out as large
/// positioned writes, however small the files are. Two buffers: one is written to the target on the thread pool
/// while the other is filled, so reading the sources and writing the volume overlap (the bytes and their order are
/// the same either way).
/// </summary>
internal sealed class SequentialWriter(SafeFileHandle target, long position)
{
    private const int Capacity = 1 << 20;
    private byte[] _buffer = new byte[Capacity];
    private byte[] _spare = new byte[Capacity];
    private Task _pending = Task.CompletedTask;
    private int _filled;

    /// <summary>Where the next byte goes.</summary>
    public long Position => position + _filled;

    public void Write(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            int n = Math.Min(bytes.Length, Room());
            bytes[..n].CopyTo(_buffer.AsSpan(_filled));
            _filled += n;
            bytes = bytes[n..];
        }
    }

    public void WriteZeros(long count)
    {
        while (count > 0)
        {
            int n = (int)Math.Min(count, Room());
            _buffer.AsSpan(_filled, n).Clear();
            _filled += n;
            count -= n;
        }
    }

    /// <summary>Lets <paramref name="read"/> fill up to <paramref name="max"/> bytes straight into the buffer; returns what it read.</summary>
    public int ReadInto(int max, Func<Memory<byte>, int> read)
    {
        int room = Room();
        int n = read(_buffer.AsMemory(_filled, Math.Min(room, max)));
        _filled += n;
        return n;
    }

    /// <summary>Starts writing what is buffered; the previous write must have finished (its errors surface here).</summary>
    public void Flush()
    {
        if (_filled == 0) return;
        _pending.GetAwaiter().GetResult();
        var full = _buffer;
        int length = _filled;
        long at = position;
        _pending = Task.Run(() => RandomAccess.Write(target, full.AsSpan(0, length), at));
        (_buffer, _spare) = (_spare, _buffer);
        position += length;
        _filled = 0;
    }

    /// <summary>Writes what is buffered and waits until every write has reached the target.</summary>
    public void Complete()
    {
        Flush();
        _pending.GetAwaiter().GetResult();
    }

    /// <summary>Waits for a write still running (after a failure, so nothing writes behind the caller's back); ignores its error.</summary>
    public void Abandon()
    {
        try
        {
            _pending.GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            // the failure that made the caller give up is the one it reports
        }
    }

    private int Room()
    {
        if (_filled == Capacity) Flush();
        return Capacity - _filled;
    }
}
