using System.IO.Pipelines;

namespace ImageBuild.Oci.Distribution;

/// <summary>
/// Runs a producer that writes a stream and a consumer that reads it at the same time, over a bounded
/// <see cref="Pipe"/>: a layer is encoded while it uploads, and a blob is decoded while it downloads, with neither
/// held whole in memory nor on disk. The consumer sees the end of the stream only after the producer returned
/// (so a producer that checks a digest at its end fails the consumer's read instead); whichever side fails first
/// cancels the other, and the first failure is what the caller gets.
/// </summary>
internal static class BlobPipe
{
    /// <summary>The most bytes the producer may be ahead of the consumer.</summary>
    private const long Window = 4 << 20;

    public static async Task<T> RunAsync<T>(Func<Stream, CancellationToken, Task> producer, Func<Stream, CancellationToken, Task<T>> consumer, CancellationToken ct)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: Window, resumeWriterThreshold: Window / 2, useSynchronizationContext: false));
        var produced = Task.Run(async () =>
        {
            try
            {
                var output = pipe.Writer.AsStream(leaveOpen: true);
                await using (output.ConfigureAwait(false))
                    await producer(output, both.Token).ConfigureAwait(false);
                await pipe.Writer.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                await pipe.Writer.CompleteAsync(e).ConfigureAwait(false);
                await both.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }, CancellationToken.None);
        var consumed = Task.Run(async () =>
        {
            try
            {
                var input = pipe.Reader.AsStream(leaveOpen: true);
                await using (input.ConfigureAwait(false))
                {
                    T result = await consumer(input, both.Token).ConfigureAwait(false);
                    await pipe.Reader.CompleteAsync().ConfigureAwait(false);
                    return result;
                }
            }
            catch (Exception e)
            {
                await pipe.Reader.CompleteAsync(e).ConfigureAwait(false);
                await both.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }, CancellationToken.None);
        try
        {
            await Task.WhenAll(produced, consumed).ConfigureAwait(false);
        }
        catch (Exception) when (FirstFailure(produced, consumed) is { } first)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
        return consumed.Result;
    }

    /// <summary>The failure that started it: not the cancellation one side got because the other side failed.</summary>
    private static Exception? FirstFailure(Task produced, Task consumed)
    {
        Exception? Of(Task t) => t.IsFaulted ? t.Exception!.InnerException : null;
        Exception? p = Of(produced), c = Of(consumed);
        if (p is not null && p is not OperationCanceledException) return p;
        if (c is not null && c is not OperationCanceledException) return c;
        return p ?? c ?? (produced.IsCanceled || consumed.IsCanceled ? new OperationCanceledException() : null);
    }
}
