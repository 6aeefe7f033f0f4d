using System.Diagnostics;
using System.Runtime.ExceptionServices;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Compression;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Operations;

/// <summary>
/// qemu-img convert: copies one or more (concatenated) source images into a new or existing target,
/// leaving zero and unallocated ranges sparse as qemu-img does. Reading (block status, reads, zero
/// detection) runs on its own thread ahead of writing (in order, or from one thread per core for a raw
/// target), through a fixed pool of buffers, so memory stays bounded whatever the image size.
/// </summary>
public static partial class ImageConverter
{
    /// <summary>qemu's IO_BUF_SIZE: one data chunk.</summary>
    public const int BufferSize = 2 << 20;

    /// <summary>Largest -S accepted (MAX_BUF_SECTORS * 512).</summary>
    public const long MaxSparseSize = 16 << 20;

    /// <summary>qemu's MAX_COROUTINES: the largest -m.</summary>
    public const int MaxParallel = 16;

    public const string InvalidSparseSizeMessage =
        "Invalid buffer size for sparse output specified. Valid sizes are multiples of 512 up to 16777216. Select 0 to disable sparse detection (fully allocates output).";

    public const string InvalidParallelMessage =
        "Invalid number of coroutines. Allowed number of coroutines is between 1 and 16";

    private const int BuffersInFlight = 4;

    public static void Convert(ImageContext context, ConvertRequest request)
    {
        Validate(request);

        var opened = new List<BlockDevice>();
        try
        {
            foreach (var src in request.Sources)
                opened.Add(ImageOpener.Open(context, src, new OpenOptions { Format = request.SourceFormat, ForceShare = request.ForceShare, NoShare = true }));
        }
        catch
        {
            foreach (var d in opened) d.Dispose();
            throw;
        }

        using var sources = new SourceSet(opened);
        var bitmaps = request.Bitmaps ? BitmapCopy.Check(sources.Devices[0], request.SkipBrokenBitmaps) : null;
        if (request.Snapshot is not null)
        {
            // qemu refuses several sources only for the plain id-or-name form; snapshot.id/name loads into the first.
            if (request.Sources.Count > 1 && SnapshotSelector.Parse(request.Snapshot).IdOrName is not null)
                throw new ImageException("No support for concatenating multiple snapshot");
            ImageSnapshotter.LoadForReading(opened[0], request.Snapshot);
        }

        bool created = false;
        string? backingFile = request.BackingFile;
        string? backingFormat = request.BackingFormat;
        ImageFormat? format = null;
        List<KeyValuePair<string, string>>? createValues = null;
        if (!request.NoCreate)
        {
            format = ImageCreator.FindCreatableFormat(context, request.OutputFormat, request.OutputFilename);
            createValues = ImageCreator.ParseOptions(format, request.TargetOptions);
            backingFile ??= createValues.Find(p => p.Key == "backing_file").Value;
            backingFormat ??= createValues.Find(p => p.Key == "backing_fmt").Value;
        }
        bool targetHasBacking = backingFile is not null;
        if (targetHasBacking && format is not null && !format.SupportsBacking)
            throw new ImageException($"Backing file not supported for file format '{format.Name}'");
        if (backingFormat is not null && format is not null && !format.SupportsBacking)
            throw new ImageException($"Backing file format not supported for file format '{format.Name}'");

        if (request.TargetIsZero && targetHasBacking)
            throw new ImageException("Cannot use --target-is-zero when the destination image has a backing file");
        if (request.Sources.Count > 1 && targetHasBacking)
            throw new ImageException("Having a backing file for the target makes no sense when concatenating multiple input images");
        if (targetHasBacking && backingFormat is null)
            throw new ImageException("Use of backing file requires explicit backing format");

        if (request.Compress)
        {
            if (format is not null && !format.SupportsCompressedWrites)
                throw new ImageException("Compression not supported for this file format");
            if (createValues?.Find(p => p.Key == "encryption").Value is "on" or "yes" or "true" or "y" ||
                createValues?.Exists(p => p.Key == "encrypt.format") == true)
                throw new ImageException("Compression and encryption not supported at the same time");
            if (createValues?.Find(p => p.Key == "preallocation").Value is { } pre && pre != "off")
                throw new ImageException("Compression and preallocation not supported at the same time");
        }

        if (format is not null && createValues is not null)
        {
            createValues.RemoveAll(p => p.Key is "backing_file" or "backing_fmt");
            if (backingFile is not null) createValues.Add(new("backing_file", backingFile));
            if (backingFormat is not null) createValues.Add(new("backing_fmt", backingFormat)); // qcow2 refuses it alone

            try
            {
                format.Create(new CreateRequest(context, request.OutputFilename, sources.TotalSize,
                    new OptionValues(createValues.Where(p => p.Key != "size"))));
                created = true;
            }
            catch (ImageException e)
            {
                throw new ImageException($"{request.OutputFilename}: error while converting {request.OutputFormat}: {e.Message}", e);
            }
        }

        bool ok = false;
        try
        {
            using (var target = ImageOpener.Open(context, request.OutputFilename,
                       new OpenOptions { Format = request.OutputFormat, Writable = true, UnsafeCache = request.TargetCacheUnsafe,
                                         DriverOptions = created ? KeySecrets(format!, createValues!) : null }))
            {
                if (request.NoCreate && Sectors.RoundUp(target.VirtualSize) < sources.TotalSize)
                    throw new ImageException("output file is smaller than input file");
                bitmaps?.CheckTarget(target);

                long targetBackingSize = targetHasBacking && created && target.Backing is not null
                    ? Sectors.RoundUp(target.Backing.VirtualSize) : -1;
                int minSparse = (int)(request.SparseSize / 512);
                bool hasZeroInit = request.TargetIsZero ||
                                   (created && minSparse > 0 && !targetHasBacking && target.HasZeroInit);
                int alignment = Math.Max(SparseScanner.Pow2Floor(minSparse), 1);

                ClusterCompressor? compressor = null;
                long cluster = 0;
                // qemu-img: a target whose driver needs compressed writes (bdi.needs_compressed_writes) is written
                // compressed without -c
                if (request.Compress || target.NeedsCompressedWrites)
                {
                    compressor = target.CreateCompressor(request.Deflate) ?? throw new ImageException("Compression not supported for this file format");
                    cluster = target.ClusterSize;
                    if (cluster <= 0 || cluster > BufferSize)
                        throw new ImageException("invalid cluster size");
                }
                var copy = new CopyJob(context, request, sources, target,
                    new ConvertPlanner(sources, targetHasBacking, targetBackingSize, compressor is null ? BufferSize : (int)cluster, cluster),
                    hasZeroInit, minSparse, alignment, compressor, (int)cluster);
                copy.Run();
                if (compressor is not null) target.FinishCompressedWrites();
                bitmaps?.CopyTo(target, request.Quiet ? null : context);
            }
            ok = true;
        }
        finally
        {
            // A target we created and could not finish must not be left looking like a valid conversion.
            if (!ok && created)
                FailedOutput.Remove(request.OutputFilename);
        }
        request.Progress?.Invoke(100);
    }

    /// <summary>The option checks qemu-img makes before opening anything.</summary>
    /// <summary>
    /// qemu-img's img_add_key_secrets: the create options naming secrets (key-secret, encrypt.key-secret) are given
    /// to the open of the image just created, which needs them to write (a luks target, an encrypted qcow2); only
    /// those the driver takes at open are passed.
    /// </summary>
    private static Dictionary<string, string>? KeySecrets(ImageFormat format, IEnumerable<KeyValuePair<string, string>> createValues)
    {
        var secrets = createValues
            .Where(p => (p.Key == "key-secret" || p.Key.EndsWith(".key-secret", StringComparison.Ordinal)) && format.RuntimeOptions.Contains(p.Key))
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        return secrets.Count > 0 ? secrets : null;
    }

    public static void Validate(ConvertRequest r)
    {
        if (r.Sources.Count < 1)
            throw new ImageException("Must specify image file name");
        if (r.SparseSize < 0 || r.SparseSize % 512 != 0 || r.SparseSize > MaxSparseSize)
            throw new ImageException(InvalidSparseSizeMessage);
        if (r.Parallel < 1 || r.Parallel > MaxParallel)
            throw new ImageException(InvalidParallelMessage);
        if (r.NoCreate && r.TargetOptions.Count > 0)
            throw new ImageException("-o has no effect when skipping image creation");
        if (r.TargetIsZero && !r.NoCreate)
            throw new ImageException("--target-is-zero requires use of -n flag");
        if (r.RateLimit < 0)
            throw new ImageException("Invalid rate limit specified");
        if (r.SkipBrokenBitmaps && !r.Bitmaps)
            throw new ImageException("Use of --skip-broken-bitmaps requires --bitmaps");
        if (r.CopyRange && r.Compress)
            throw new ImageException("Cannot enable copy offloading when -c is used");
        if (r.CopyRange && r.Salvage)
            throw new ImageException("Cannot use copy offloading in salvaging mode");
        if (r.Bitmaps && r.Sources.Count > 1)
            throw new ImageException("Copying bitmaps only possible with single source");
    }


    /// <summary>
    /// How many threads write the target. Writes are in order (one writer, each write after the previous one), as
    /// qemu-img's without -W. With -W (<paramref name="outOfOrder"/>) a target whose writes may overlap in time (a raw
    /// file) gets one writer per core, at most -m: copying into the page cache is CPU work, and one writer thread is
    /// the bottleneck. Targets that allocate as they write keep one writer, whose order makes their layout qemu's.
    /// </summary>
    internal static int WriterCount(bool outOfOrder, bool concurrentTarget, int parallel, int cores) =>
        outOfOrder && concurrentTarget ? Math.Max(1, Math.Min(parallel, cores)) : 1;

    /// <summary>One write the writer applies: data from the chunk's buffer, or zeroes.</summary>
    private readonly record struct WriteOp(long Offset, int Length, bool IsData, int BufferOffset);

    private sealed class Chunk
    {
        public long Offset;
        public long Length;
        public ChunkStatus Status;
        public byte[]? Buffer;
        public readonly List<WriteOp> Ops = [];
        /// <summary>Compressed output: the cluster's payload, or null to store it uncompressed (or skip it when zero).</summary>
        public byte[]? Compressed;
        public int CompressedLength;
        public bool AllZero;
        /// <summary>-C: what the writer copies in the kernel instead of writing a buffer.</summary>
        public List<CopyOp>? Copies;
        /// <summary>Compressed output: set (under the job's gate) when a worker has finished with the cluster.</summary>
        public bool Ready;
        public Exception? Error;
    }

    /// <summary>
    /// The copy itself: a reader thread planning and reading ahead; the caller's thread writing (in order), joined by
    /// more writers when the target takes concurrent writes.
    /// </summary>
    private sealed partial class CopyJob(
        ImageContext context, ConvertRequest request, SourceSet sources, BlockDevice target, ConvertPlanner planner,
        bool hasZeroInit, int minSparse, int alignment, ClusterCompressor? compressor, int clusterSize)
    {
        private long _allocatedTotal;
        private long _allocatedDone;
        private readonly RateLimiter _limiter = new(request.RateLimit);
        private readonly object _progressGate = new();

        public void Run()
        {
            CountAllocated();
            if (compressor is not null)
            {
                RunCompressed(compressor);
                return;
            }

            int writers = WriterCount(request.OutOfOrder, target.SupportsConcurrentWrites, request.Parallel, Environment.ProcessorCount);
            var free = new HandoffQueue<byte[]>();
            for (int i = 0; i < BuffersInFlight + writers - 1; i++) free.Add(GC.AllocateUninitializedArray<byte>(BufferSize));
            var queue = new HandoffQueue<Chunk>(BuffersInFlight * 4);
            using var cancel = new CancellationTokenSource();
            var ct = cancel.Token;

            Exception? readerError = null;
            var reader = new Thread(() =>
            {
                try { Produce(queue, free, ct); }
                catch (OperationCanceledException) { }
                catch (Exception e) { readerError = e; }
                finally { queue.CompleteAdding(); }
            }) { IsBackground = true, Name = "convert-reader" };
            reader.Start();

            Exception? writerError = null;
            void Write()
            {
                try
                {
                    foreach (var chunk in queue.GetConsumingEnumerable(ct))
                    {
                        Consume(chunk);
                        if (chunk.Buffer is not null) free.Add(chunk.Buffer);
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    // another writer failed, or the reader did
                }
                catch (Exception e) // including a cancellation thrown by the caller's progress callback
                {
                    Interlocked.CompareExchange(ref writerError, e, null);
                    cancel.Cancel();
                }
            }
            var extraWriters = Enumerable.Range(1, writers - 1)
                .Select(i => new Thread(Write) { IsBackground = true, Name = $"convert-writer-{i}" }).ToList();
            extraWriters.ForEach(t => t.Start());
            Write();
            extraWriters.ForEach(t => t.Join());
            reader.Join();
            if (writerError is not null)
                ExceptionDispatchInfo.Throw(writerError);
            ThrowReaderError(readerError);
        }

        private static void ThrowReaderError(Exception? error)
        {
            if (error is not null)
                ExceptionDispatchInfo.Throw(error); // as it is: out-of-memory must stay recognisable to the caller
        }

        /// <summary>What the progress is a fraction of: the bytes that will be written as data.</summary>
        private void CountAllocated()
        {
            if (request.Progress is not null)
            {
                request.Progress(0);
                for (long off = 0; off < sources.TotalSize;)
                {
                    var (n, status) = planner.Next(off);
                    if (status == ChunkStatus.Data || (minSparse == 0 && status == ChunkStatus.Zero))
                        _allocatedTotal += n;
                    off += n;
                }
                planner.Reset();
            }
        }

        private void Produce(HandoffQueue<Chunk> queue, HandoffQueue<byte[]> free, CancellationToken ct)
        {
            for (long off = 0; off < sources.TotalSize;)
            {
                ct.ThrowIfCancellationRequested();
                var (n, status) = planner.Next(off);
                var chunk = new Chunk { Offset = off, Length = n, Status = status };
                if (status == ChunkStatus.Zero && minSparse == 0)
                {
                    // -S 0: zeros are written as data, one buffer at a time.
                    n = Math.Min(n, BufferSize);
                    chunk.Length = n;
                    chunk.Buffer = free.Take(ct);
                    chunk.Buffer.AsSpan(0, (int)n).Clear();
                    chunk.Ops.Add(new WriteOp(off, (int)n, true, 0));
                }
                else if (status == ChunkStatus.Data)
                {
                    var runs = GatherRuns(chunk);
                    n = chunk.Length;
                    if (_copyRange)
                        chunk.Copies = PlanCopy(chunk); // null: read and write it here after all
                    if (chunk.Copies is null)
                    {
                        chunk.Buffer = free.Take(ct);
                        ReadSources(off, chunk.Buffer.AsSpan(0, (int)n));
                        long at = 0;
                        foreach (long run in runs)
                        {
                            if (_copyRange) // an offloaded copy has no zero detection, so neither has its stand-in
                                chunk.Ops.Add(new WriteOp(off + at, (int)run, true, (int)at));
                            else
                                PlanDataWrites(chunk, at, run);
                            at += run;
                        }
                    }
                }
                queue.Add(chunk, ct);
                off += n;
            }
        }

        /// <summary>
        /// Extends a data chunk over the data runs that follow it, up to one buffer, and returns the runs' lengths.
        /// qemu reads and writes each block-status run on its own (for compressed sources: every cluster); runs that
        /// follow one another are read together, so that a source can serve them with one request (and inflate its
        /// compressed clusters in parallel). Sparse detection still splits each run by itself, as qemu does.
        /// </summary>
        private List<long> GatherRuns(Chunk chunk)
        {
            var runs = new List<long> { chunk.Length };
            while (chunk.Offset + chunk.Length < sources.TotalSize)
            {
                var (m, next) = planner.Next(chunk.Offset + chunk.Length);
                if (next != ChunkStatus.Data || chunk.Length + m > BufferSize) break;
                chunk.Length += m;
                runs.Add(m);
            }
            return runs;
        }

        private void ReadSources(long offset, Span<byte> dest)
        {
            try
            {
                sources.Read(offset, dest);
            }
            catch (ImageException e) when (request.Salvage)
            {
                _ = e;
                for (int s = 0; s < dest.Length; s += 512)
                {
                    var sector = dest.Slice(s, Math.Min(512, dest.Length - s));
                    try { sources.Read(offset + s, sector); }
                    catch (ImageException se)
                    {
                        sector.Clear();
                        if (!request.Quiet)
                            context.Warn($"warning: error while reading offset {offset + s}: {se.Message}");
                    }
                }
            }
            catch (ImageException e)
            {
                throw new ImageException($"error while reading at byte {offset}: {e.Message}", e);
            }
        }

        /// <summary>
        /// convert_co_write for one run of a data chunk (at <paramref name="start"/>, <paramref name="length"/> bytes
        /// into the buffer): split into data writes and zero runs by -S. A data write that continues the previous one
        /// joins it: one request instead of two, the same bytes written.
        /// </summary>
        private void PlanDataWrites(Chunk chunk, long start, long length)
        {
            int sectors = (int)(length / 512);
            ReadOnlySpan<byte> buf = chunk.Buffer.AsSpan((int)start, (int)length);
            long sector = (chunk.Offset + start) / 512;
            int pos = 0;
            while (pos < sectors)
            {
                int n = sectors - pos;
                bool data = minSparse == 0 ||
                            SparseScanner.IsAllocatedSectorsMin(buf[(pos * 512)..], n, out n, minSparse, sector + pos, alignment);
                if (minSparse == 0) n = sectors - pos;
                var op = new WriteOp(chunk.Offset + start + pos * 512L, n * 512, data, (int)start + pos * 512);
                if (data && chunk.Ops.Count > 0 && chunk.Ops[^1] is { IsData: true } last &&
                    last.Offset + last.Length == op.Offset && last.BufferOffset + last.Length == op.BufferOffset)
                    chunk.Ops[^1] = last with { Length = last.Length + op.Length };
                else
                    chunk.Ops.Add(op);
                pos += n;
            }
        }

        private void Consume(Chunk chunk)
        {
            if (chunk.Status == ChunkStatus.Data || (minSparse == 0 && chunk.Status == ChunkStatus.Zero))
            {
                lock (_progressGate) // writers may run in parallel; progress still only moves forward
                {
                    _allocatedDone += chunk.Length;
                    if (request.Progress is not null && _allocatedTotal > 0)
                        request.Progress(Math.Min(100.0, 100.0 * _allocatedDone / _allocatedTotal));
                }
            }

            if (compressor is not null)
            {
                ConsumeCompressed(chunk);
                return;
            }
            switch (chunk.Status)
            {
                case ChunkStatus.Backing:
                    return;
                case ChunkStatus.Zero when minSparse != 0:
                    WriteZeroes(chunk.Offset, chunk.Length);
                    return;
            }
            if (chunk.Copies is not null)
            {
                CopyInKernel(chunk);
                return;
            }
            foreach (var op in chunk.Ops)
            {
                if (op.IsData)
                {
                    try { target.Write(op.Offset, chunk.Buffer.AsSpan(op.BufferOffset, op.Length)); }
                    catch (ImageException e) { throw new ImageException($"error while writing at byte {op.Offset}: {e.Message}", e); }
                    _limiter.Consume(op.Length);
                }
                else
                {
                    WriteZeroes(op.Offset, op.Length);
                }
            }
        }

        private void WriteZeroes(long offset, long length)
        {
            if (hasZeroInit) return;
            try { target.WriteZeroes(offset, length, WriteZeroesFlags.MayUnmap); }
            catch (ImageException e) { throw new ImageException($"error while writing at byte {offset}: {e.Message}", e); }
        }

    }
}
