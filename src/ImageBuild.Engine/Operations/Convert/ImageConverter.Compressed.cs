using System.Runtime.ExceptionServices;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Compression;

namespace ImageBuild.Engine.Operations;

public static partial class ImageConverter
{
    private sealed partial class CopyJob
    {
        /// <summary>Source bytes kept in flight for compressed output (the same again for compressed payloads).</summary>
        private const int CompressedBytesInFlight = 16 << 20;

        private readonly object _readyGate = new();

        /// <summary>
        /// Compressed output as a pipeline, so that every core compresses all the time: one thread reads whole
        /// clusters in order, workers (one per core, at most -m) check each for zeros and compress it, and this
        /// thread writes them in order as each is ready. Buffers come from two fixed pools (source and payload, of
        /// equal size, so a worker can always get a payload buffer for a cluster that holds a source buffer):
        /// memory does not grow with the image.
        /// </summary>
        private void RunCompressed(ClusterCompressor codec)
        {
            int workers = Math.Max(1, Math.Min(request.Parallel, Environment.ProcessorCount));
            int inFlight = Math.Max(8, CompressedBytesInFlight / clusterSize);
            int pooled = inFlight + workers + 2;
            var sourceBuffers = new HandoffQueue<byte[]>();
            var payloadBuffers = new HandoffQueue<byte[]>();
            for (int i = 0; i < pooled; i++)
            {
                sourceBuffers.Add(GC.AllocateUninitializedArray<byte>(clusterSize));
                // a scheme whose units may expand stores them whatever their size: room for twice the unit
                payloadBuffers.Add(GC.AllocateUninitializedArray<byte>(codec.Scheme.MayExpand ? 2 * clusterSize : clusterSize));
            }
            var ordered = new HandoffQueue<Chunk>(inFlight);
            var work = new HandoffQueue<Chunk>(inFlight);
            using var cancel = new CancellationTokenSource();
            var ct = cancel.Token;

            Exception? readerError = null;
            var reader = new Thread(() =>
            {
                try { ReadClusters(ordered, work, sourceBuffers, ct); }
                catch (OperationCanceledException) { }
                catch (Exception e) { readerError = e; }
                finally
                {
                    ordered.CompleteAdding();
                    work.CompleteAdding();
                }
            }) { IsBackground = true, Name = "convert-reader" };
            var compressors = Enumerable.Range(0, workers).Select(i => new Thread(() => CompressClusters(codec, work, payloadBuffers, ct))
            {
                IsBackground = true, Name = $"convert-compress-{i}",
            }).ToList();
            reader.Start();
            compressors.ForEach(t => t.Start());

            try
            {
                foreach (var chunk in ordered.GetConsumingEnumerable(ct))
                {
                    WaitReady(chunk, ct);
                    if (chunk.Error is not null)
                        ExceptionDispatchInfo.Throw(chunk.Error); // as it is: out-of-memory must stay recognisable
                    Consume(chunk);
                    if (chunk.Buffer is not null) sourceBuffers.Add(chunk.Buffer);
                    if (chunk.Compressed is not null) payloadBuffers.Add(chunk.Compressed);
                }
            }
            catch
            {
                cancel.Cancel();
                reader.Join();
                compressors.ForEach(t => t.Join());
                throw;
            }
            reader.Join();
            compressors.ForEach(t => t.Join());
            ThrowReaderError(readerError);
        }

        /// <summary>The reader: whole clusters in order (the last, short one padded with zeros) into both queues.</summary>
        private void ReadClusters(HandoffQueue<Chunk> ordered, HandoffQueue<Chunk> work, HandoffQueue<byte[]> buffers, CancellationToken ct)
        {
            for (long off = 0; off < sources.TotalSize;)
            {
                ct.ThrowIfCancellationRequested();
                var (n, status) = planner.Next(off);
                var chunk = new Chunk { Offset = off, Length = n, Status = status };
                if (status == ChunkStatus.Data)
                {
                    chunk.Buffer = buffers.Take(ct);
                    var span = chunk.Buffer.AsSpan(0, clusterSize);
                    ReadSources(off, span[..(int)n]);
                    span[(int)n..].Clear();
                    ordered.Add(chunk, ct);
                    work.Add(chunk, ct);
                }
                else
                {
                    chunk.Ready = true;
                    ordered.Add(chunk, ct);
                }
                off += n;
            }
        }

        /// <summary>A worker: zero check and compression; a cluster that does not shrink is stored uncompressed.</summary>
        private void CompressClusters(ClusterCompressor codec, HandoffQueue<Chunk> work, HandoffQueue<byte[]> payloads, CancellationToken ct)
        {
            try
            {
                foreach (var chunk in work.GetConsumingEnumerable(ct))
                {
                    try
                    {
                        // the last, short unit: padded to a whole one or compressed as it is, as the format does
                        var source = chunk.Buffer.AsSpan(0, codec.Scheme.PadsLastUnit ? clusterSize : (int)chunk.Length);
                        chunk.AllZero = !source.ContainsAnyExcept((byte)0);
                        if (!chunk.AllZero)
                        {
                            byte[] payload = payloads.Take(ct);
                            int len = codec.Compress(source, payload);
                            if (len > 0)
                                (chunk.Compressed, chunk.CompressedLength) = (payload, len);
                            else
                                payloads.Add(payload);
                        }
                    }
                    catch (OperationCanceledException) { throw; }
                    catch (Exception e) { chunk.Error = e; }
                    finally
                    {
                        lock (_readyGate)
                        {
                            chunk.Ready = true;
                            Monitor.PulseAll(_readyGate);
                        }
                    }
                }
            }
            catch (OperationCanceledException) { }
        }

        private void WaitReady(Chunk chunk, CancellationToken ct)
        {
            lock (_readyGate)
            {
                while (!chunk.Ready)
                {
                    ct.ThrowIfCancellationRequested();
                    Monitor.Wait(_readyGate, 100);
                }
            }
        }

        private void ConsumeCompressed(Chunk chunk)
        {
            if (chunk.Status == ChunkStatus.Backing) return;
            if (chunk.Status == ChunkStatus.Zero || chunk.AllZero)
            {
                WriteZeroes(chunk.Offset, chunk.Length);
                return;
            }
            try
            {
                if (chunk.Compressed is not null)
                    target.WriteCompressedCluster(chunk.Offset, chunk.Compressed.AsSpan(0, chunk.CompressedLength));
                else
                    target.Write(chunk.Offset, chunk.Buffer.AsSpan(0, (int)chunk.Length));
            }
            catch (ImageException e) { throw new ImageException($"error while writing at byte {chunk.Offset}: {e.Message}", e); }
            _limiter.Consume(chunk.Length);
        }

    }
}
