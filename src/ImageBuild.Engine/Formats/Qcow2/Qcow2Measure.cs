using ImageBuild.Engine.Block;
using ImageBuild.Engine.Formats.File;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// qcow2_measure: required and fully-allocated sizes for a new image (qemu-img measure). With LUKS, qemu also
/// looks the key's secret up (a dry-run create); measure has no engine context here, so an unknown secret id is not
/// refused as qemu refuses it.
/// </summary>
internal static class Qcow2Measure
{
    public static MeasureResult Measure(OptionValues options, BlockDevice? source, long size)
    {
        var o = Qcow2CreateOptions.Parse(options);
        long cs = 1L << o.ClusterBits;
        long virtualSize = source?.VirtualSize ?? size;
        int l2e = o.ExtendedL2 ? 16 : 8;
        // in clusters, as qemu's unsigned arithmetic: a size near 2^63 must not wrap negative and slip through
        long sizeInClusters = (long)(((ulong)virtualSize + (ulong)cs - 1) / (ulong)cs);
        virtualSize = sizeInClusters * cs;
        if ((sizeInClusters + cs / l2e - 1) / (cs / l2e) * 8 > Qcow2Device.MaxL1Bytes || virtualSize < 0)
            throw new ImageException("The image size is too large (try using a larger cluster size)");

        long required;
        if (source is not null && o.BackingFile is not null)
            required = virtualSize;
        else if (source is not null)
            required = DataRequired(source, cs);
        else
            required = 0;
        if (o.Preallocation is Preallocation.Full or Preallocation.Falloc)
            required = virtualSize;

        // qemu counts the LUKS header of an encrypted image in whole clusters (the AES format has none).
        long luksPayload = o.Encryption is { IsAes: false } luks ? (luks.LuksHeaderLength() + cs - 1) / cs * cs : 0;
        long fully = luksPayload + FullSize(virtualSize, cs, o.RefcountOrder, l2e);
        long req = fully - virtualSize + required;
        long? bitmaps = null;
        if (o.Version >= 3 && source is Qcow2Device q)
        {
            long total = 0, dir = 0;
            foreach (var b in q.Bitmaps)
            {
                long bits = (q.VirtualSize + (1L << b.GranularityBits) - 1) >> b.GranularityBits;
                long clusters = ((bits + 7) / 8 + cs - 1) / cs;
                total += clusters * cs + (clusters * 8 + cs - 1) / cs * cs;
                dir += (24 + System.Text.Encoding.UTF8.GetByteCount(b.Name) + 7) & ~7L;
            }
            bitmaps = total + (dir + cs - 1) / cs * cs;
        }
        return new MeasureResult(req, fully, bitmaps);
    }

    private static long DataRequired(BlockDevice source, long cs)
    {
        long sum = 0, offset = 0, end = source.VirtualSize;
        while (offset < end)
        {
            var st = BlockLayer.GetStatusAbove(source, null, offset, end - offset);
            long n = st.Length;
            if (st.IsZero) { offset += n; continue; }
            if (st.IsData && st.IsAllocated)
            {
                n = (offset + n + cs - 1) / cs * cs - offset;
                sum += offset % cs + n;
            }
            offset += n;
        }
        return sum;
    }

    /// <summary>qcow2_calc_prealloc_size.</summary>
    internal static long FullSize(long v, long cs, int refcountOrder, int l2e)
    {
        long meta = cs;
        long nl2e = v / cs;
        nl2e = (nl2e + cs / l2e - 1) / (cs / l2e) * (cs / l2e);
        meta += nl2e * l2e;
        long nl1e = (nl2e * l2e / cs + cs / 8 - 1) / (cs / 8) * (cs / 8);
        meta += nl1e * 8;
        meta += Qcow2Refcounts.MetadataSize((meta + v) / cs, cs, refcountOrder, false, out _);
        return meta + v;
    }
}
