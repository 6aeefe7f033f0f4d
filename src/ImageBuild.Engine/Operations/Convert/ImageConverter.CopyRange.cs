using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Operations;

public static partial class ImageConverter
{
    /// <summary>
    /// One piece of an offloaded (-C) data chunk: bytes of a host file copied to the same guest offset of the target,
    /// or a range the source reads as zeros (qemu's copy_range passes BDRV_REQ_ZERO_WRITE for those).
    /// </summary>
    private readonly record struct CopyOp(long TargetOffset, long Length, HostFile? Source, long SourceOffset)
    {
        public bool IsZero => Source is null;
    }

    private sealed partial class CopyJob
    {
        /// <summary>-C still on: qemu turns copy offloading off for good when a copy cannot be offloaded.</summary>
        private volatile bool _copyRange = request.CopyRange;

        /// <summary>
        /// -C for a data chunk: where its bytes lie in host files, for the writer to copy in the kernel. Null when the
        /// target is not a plain file (the chunk is then read and written whole, as qemu's copy_range into qcow2
        /// allocates it whole), or when the source cannot be offloaded (compressed clusters: qemu's ENOTSUP), which
        /// turns -C off for the rest of the conversion.
        /// </summary>
        private List<CopyOp>? PlanCopy(Chunk chunk)
        {
            var ops = new List<CopyOp>();
            long end = chunk.Offset + chunk.Length;
            for (long at = chunk.Offset; at < end;)
            {
                var (dev, local, remaining) = sources.Locate(at);
                long n = Math.Min(end - at, remaining);
                if (local >= dev.VirtualSize)
                {
                    ops.Add(new CopyOp(at, n, null, 0)); // the sector-rounded tail of an odd-sized source
                    at += n;
                    continue;
                }
                var st = BlockLayer.GetStatusAbove(dev, null, local, Math.Min(n, dev.VirtualSize - local));
                if (st.IsZero || !st.IsAllocated)
                    ops.Add(new CopyOp(at, st.Length, null, 0));
                else if (st.HasOffset && st.HostFile is not null && !st.IsCompressed)
                    ops.Add(new CopyOp(at, st.Length, st.HostFile, st.HostOffset));
                else
                {
                    _copyRange = false;
                    return null;
                }
                at += st.Length;
            }
            return target.PassthroughFile is null ? null : ops;
        }

        /// <summary>
        /// The writer's side of -C: each piece copied by the kernel into the target file. Where the kernel cannot
        /// (another filesystem, no copy_file_range), the piece is read and written here and -C is turned off.
        /// </summary>
        private void CopyInKernel(Chunk chunk)
        {
            var targetFile = target.PassthroughFile!;
            byte[]? buffer = null;
            foreach (var op in chunk.Copies!)
            {
                if (op.IsZero)
                {
                    WriteZeroes(op.TargetOffset, op.Length);
                    continue;
                }
                if (!_copyRange || !op.Source!.TryCopyRangeTo(op.SourceOffset, targetFile, op.TargetOffset, op.Length))
                {
                    _copyRange = false;
                    buffer ??= GC.AllocateUninitializedArray<byte>(BufferSize);
                    for (long done = 0; done < op.Length;)
                    {
                        int n = (int)Math.Min(op.Length - done, buffer.Length);
                        op.Source!.Read(op.SourceOffset + done, buffer.AsSpan(0, n));
                        try { target.Write(op.TargetOffset + done, buffer.AsSpan(0, n)); }
                        catch (ImageException e) { throw new ImageException($"error while writing at byte {op.TargetOffset + done}: {e.Message}", e); }
                        done += n;
                    }
                }
                _limiter.Consume(op.Length);
            }
        }
    }
}
