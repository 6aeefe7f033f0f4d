namespace ImageBuild.Engine.Operations;

/// <summary>
/// The queue between convert's reader, workers and writer: first in, first out, optionally bounded, with
/// BlockingCollection's Add/Take/CompleteAdding, but a thread that has to wait sleeps at once instead of spinning.
/// BlockingCollection's semaphore spins (sched_yield) before it blocks; when the reader is far ahead of a writer
/// that waits on the disk, those spins took a whole core (19,821 sched_yield calls, 0.45 s of CPU, for one 3 GiB
/// <c>convert -C</c>) that the kernel's writeback and the other threads needed.
/// </summary>
internal sealed class HandoffQueue<T>
{
    private readonly Queue<T> _items = new();
    private readonly int _capacity;
    private bool _completed;

    /// <param name="capacity">The most items held; Add waits for room beyond that.</param>
    public HandoffQueue(int capacity = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>Adds an item, waiting while the queue is full.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting.</exception>
    /// <exception cref="InvalidOperationException">Adding was completed.</exception>
    public void Add(T item, CancellationToken ct = default)
    {
        using var wake = ct.Register(WakeAll);
        lock (_items)
        {
            while (_items.Count >= _capacity && !_completed)
            {
                ct.ThrowIfCancellationRequested();
                Monitor.Wait(_items);
            }
            ct.ThrowIfCancellationRequested();
            if (_completed) throw new InvalidOperationException("the queue is complete for adding");
            _items.Enqueue(item);
            Monitor.PulseAll(_items);
        }
    }

    /// <summary>Takes the oldest item, waiting while the queue is empty.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting.</exception>
    /// <exception cref="InvalidOperationException">The queue is empty and complete.</exception>
    public T Take(CancellationToken ct = default) =>
        TryTake(ct, out var item) ? item : throw new InvalidOperationException("the queue is empty and complete");

    /// <summary>Items as they come, until the queue is empty and complete.</summary>
    public IEnumerable<T> GetConsumingEnumerable(CancellationToken ct = default)
    {
        while (TryTake(ct, out var item))
            yield return item;
    }

    /// <summary>No more items will be added: takers end once the queue is empty.</summary>
    public void CompleteAdding()
    {
        lock (_items)
        {
            _completed = true;
            Monitor.PulseAll(_items);
        }
    }

    private bool TryTake(CancellationToken ct, out T item)
    {
        using var wake = ct.Register(WakeAll);
        lock (_items)
        {
            while (_items.Count == 0 && !_completed)
            {
                ct.ThrowIfCancellationRequested();
                Monitor.Wait(_items);
            }
            ct.ThrowIfCancellationRequested();
            if (_items.Count == 0)
            {
                item = default!;
                return false;
            }
            item = _items.Dequeue();
            Monitor.PulseAll(_items);
            return true;
        }
    }

    private void WakeAll()
    {
        lock (_items) Monitor.PulseAll(_items);
    }
}
