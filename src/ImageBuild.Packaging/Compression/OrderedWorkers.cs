using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace ImageBuild.Packaging.Compression;

/// <summary>One unit of work for <see cref="OrderedWorkers{TJob}"/>: <see cref="Run"/> is called once, on some worker.</summary>
internal abstract class WorkerJob
{
    internal readonly ManualResetEventSlim Done = new(false);
    internal ExceptionDispatchInfo? Error;

    public abstract void Run();
}

/// <summary>
/// Runs jobs on a fixed number of dedicated threads and hands them back in the order they were submitted, with at
/// most twice as many jobs in flight as there are threads (so memory is bounded whatever the input size). Even one
/// thread is a worker, not the caller: the caller's reading and hashing overlap the work, and native code that
/// allocates per job runs off the main thread (zlib's per-block deflateInit2/deflateEnd on the main thread cost
/// 60 % more CPU, 11.3 s against 7.0 s for 512 MiB, most likely as glibc trims the main heap after each free and
/// every block page-faults its state back in). Which thread ran a job never shows in its result.
/// </summary>
internal sealed class OrderedWorkers<TJob> : IDisposable where TJob : WorkerJob
{
    private readonly BlockingCollection<TJob> _queue;
    private readonly Thread[] _threads;
    private readonly Queue<TJob> _inFlight = new();
    private readonly int _capacity;
    private readonly Action<TJob> _completed;

    /// <param name="threads">Worker threads (≥ 1).</param>
    /// <param name="completed">Called on the submitting thread with each finished job, in submission order.</param>
    public OrderedWorkers(int threads, string name, Action<TJob> completed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _completed = completed;
        _capacity = 2 * threads;
        _queue = new BlockingCollection<TJob>(new ConcurrentQueue<TJob>());
        _threads = new Thread[threads];
        for (int i = 0; i < threads; i++)
        {
            _threads[i] = new Thread(Work) { IsBackground = true, Name = name };
            _threads[i].Start();
        }
    }

    /// <summary>The jobs submitted and not yet handed back: what the caller must keep buffers for.</summary>
    public int InFlight => _inFlight.Count;

    /// <summary>Queues <paramref name="job"/>; first hands back the oldest job when the pipeline is full.</summary>
    public void Submit(TJob job)
    {
        while (_inFlight.Count >= _capacity) CompleteOldest();
        _inFlight.Enqueue(job);
        _queue.Add(job);
    }

    /// <summary>Waits for every submitted job and hands each back in order.</summary>
    public void Drain()
    {
        while (_inFlight.Count > 0) CompleteOldest();
    }

    private void CompleteOldest()
    {
        TJob job = _inFlight.Dequeue();
        job.Done.Wait();
        job.Error?.Throw();
        _completed(job);
    }

    private void Work()
    {
        foreach (TJob job in _queue.GetConsumingEnumerable()) RunCaptured(job);
    }

    private static void RunCaptured(TJob job)
    {
        try
        {
            job.Run();
        }
        catch (Exception e)
        {
            job.Error = ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            job.Done.Set();
        }
    }

    /// <summary>Stops the threads once the queued jobs are done (jobs not drained are dropped).</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        foreach (Thread t in _threads) t.Join();
        _queue.Dispose();
    }
}
