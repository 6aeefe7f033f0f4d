using System.Buffers.Binary;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Formats.File;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>
/// Creates a qcow2 image the way qemu's qcow2_co_create does, step by step, so the file is byte-identical:
/// a minimal header with the refcount table at cluster 1 and one refcount block at cluster 2, then (through the
/// device) the first three clusters are refcounted, the full header is written, the L1 table is grown to the
/// virtual size, preallocation is done and finally the backing file is recorded.
/// </summary>
internal static class Qcow2Creator
{
    public static void Create(CreateRequest request)
    {
        var o = Qcow2CreateOptions.Parse(request.Options);
        long size = Sectors.RoundUp(request.Size); // may wrap negative, as in qemu: the truncate below refuses it
        try
        {
            BlockLimits.CheckTruncate(size);
        }
        catch (ImageException e)
        {
            throw new ImageException("Could not resize image: " + e.Message, e);
        }
        int cs = 1 << o.ClusterBits;
        int l2Bits = o.ClusterBits - (o.ExtendedL2 ? 4 : 3);
        long clusters = (size + cs - 1) >> o.ClusterBits;
        long l1Entries = (clusters + (1L << l2Bits) - 1) >> l2Bits;
        if (l1Entries > Qcow2Device.MaxL1Bytes / 8)
            throw new ImageException("The image size is too large for file format 'qcow2' (try using a larger cluster size)");

        var created = new List<string>();
        try
        {
            Write(request, o, size, cs, l1Entries, created);
        }
        catch
        {
            // qcow2_co_create_opts: a failed create deletes the files it made (full disk, bad option found late)
            foreach (string path in created)
                Operations.FailedOutput.Remove(path);
            throw;
        }
    }

    /// <summary>Writes the files; <paramref name="created"/> gets each one as soon as it is ours to delete.</summary>
    private static void Write(CreateRequest request, Qcow2CreateOptions o, long size, int cs, long l1Entries, List<string> created)
    {
        if (o.DataFile is not null)
        {
            // qemu creates the data file under the name as given (relative to the working directory).
            string dataPath = request.Context.FromWorkingDirectory(o.DataFile);
            using var df = HostFile.Create(dataPath, request.Context.HostFaults);
            created.Add(dataPath);
            var mode = o.Preallocation == Preallocation.Metadata ? Preallocation.Off : o.Preallocation;
            if (o.Preallocation is Preallocation.Off or Preallocation.Metadata)
            {
                df.SetLength(size);
                if (size > 0) df.Write(0, ZeroBuffer.Span((int)Math.Min(size, 4096)));
            }
            else
            {
                FileProtocol.Extend(df, 0, size, mode);
            }
        }

        using (var file = HostFile.Create(request.Filename, request.Context.HostFaults))
        {
            created.Add(request.Filename);
            var header = new Qcow2Header
            {
                Version = (uint)o.Version,
                ClusterBits = o.ClusterBits,
                RefcountTableOffset = (ulong)cs,
                RefcountTableClusters = 1,
                RefcountOrder = (uint)o.RefcountOrder,
                HeaderLength = Qcow2Header.V3Length,
            };
            if (o.LazyRefcounts) header.CompatibleFeatures |= Qcow2Header.CompatLazyRefcounts;
            if (o.DataFile is not null) header.IncompatibleFeatures |= Qcow2Header.IncompatDataFile;
            if (o.DataFileRaw) header.AutoclearFeatures |= Qcow2Header.AutoclearDataFileRaw;
            if (o.CompressionType != 0)
            {
                header.IncompatibleFeatures |= Qcow2Header.IncompatCompression;
                header.CompressionType = o.CompressionType;
            }
            if (o.ExtendedL2) header.IncompatibleFeatures |= Qcow2Header.IncompatExtendedL2;
            var buf = new byte[cs];
            header.Write(buf);
            if (o.Version < 3)
            {
                // qemu's first header write carries the full struct with header_length 112 and zeroed v3 fields.
                BinaryPrimitives.WriteUInt32BigEndian(buf.AsSpan(96), (uint)o.RefcountOrder);
                BinaryPrimitives.WriteUInt32BigEndian(buf.AsSpan(100), Qcow2Header.V3Length);
            }
            if (o.DataFile is not null)
            {
                // The data file name extension is needed to open the image; qemu writes it with the full header.
                int pos = Qcow2Header.V3Length;
                pos = new HeaderExtension(HeaderExtension.DataFile, System.Text.Encoding.UTF8.GetBytes(o.DataFile)).WriteTo(buf, pos);
            }
            file.Write(0, buf);
            var tables = new byte[2 * cs];
            BinaryPrimitives.WriteUInt64BigEndian(tables, (ulong)(2 * cs));
            file.Write(cs, tables);
        }

        var hostFile = HostFile.Open(request.Filename, writable: true, request.Context.HostFaults);
        Qcow2Device dev;
        try
        {
            dev = new Qcow2Device(request.Filename, hostFile, readOnly: false, request.Context);
        }
        catch
        {
            hostFile.Dispose();
            throw;
        }
        using (dev)
        {
            dev.Refcounts.AllocClusters(3L * cs);
            dev.UpdateHeader();
            if (size > 0)
            {
                dev.GrowL1(l1Entries);
                dev.SetVirtualSize(size);
                switch (o.Preallocation)
                {
                    case Preallocation.Metadata:
                        dev.PreallocateMetadata(0, size);
                        break;
                    case Preallocation.Falloc:
                    case Preallocation.Full:
                        if (dev.HasDataFile)
                            dev.PreallocateMetadata(0, size);
                        else
                            dev.PreallocateData(0, size, o.Preallocation, LastUsedClusterEnd(dev));
                        break;
                }
            }
            if (o.BackingFile is not null)
            {
                dev.SetBacking(o.BackingFile, o.BackingFormat);
                dev.UpdateHeader();
            }
            if (o.Encryption is { } encryption)
                dev.SetUpEncryption(encryption, request.Context.Identity.ForImage(request.Filename)); // qemu's last step
        }
    }

    /// <summary>Where the new image's clusters in use end (the file may be longer than its refcounted clusters).</summary>
    private static long LastUsedClusterEnd(Qcow2Device dev)
    {
        int cs = dev.ClusterSizeInt;
        long length = dev.File.Length;
        for (long i = ((length + cs - 1) >> dev.ClusterBits) - 1; i >= 0; i--)
            if (dev.Refcounts.GetRefcount(i) > 0) return (i + 1) * cs;
        return (length + cs - 1) / cs * cs;
    }
}
