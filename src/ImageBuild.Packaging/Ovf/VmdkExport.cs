using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;

namespace ImageBuild.Packaging.Ovf;

/// <summary>A disk converted for a package: the VMDK in scratch and what the envelope and manifest say of it.</summary>
internal sealed record ExportedVmdk(string MemberName, string ScratchPath, OvfDiskFile Disk, byte[]? Digest);

/// <summary>
/// Converts an input image to a streamOptimized VMDK in scratch (the engine's convert, in-order writes, the
/// <c>subformat=streamOptimized</c> option as <c>qemu-img convert -O vmdk -o subformat=streamOptimized</c>), then
/// reads the result once to hash it for the manifest and once through the engine for its capacity and populated
/// size. The scratch file is named after the member (in a <see cref="ScratchFolder"/>), so the engine's reproducible
/// identity source, which keys on the file name, gives the same CID in every run and directory.
/// </summary>
internal static class VmdkExport
{
    private const int HashChunk = 1 << 20;

    /// <summary>The format of a package's disks: VMDK, in the streamOptimized subformat the OVF disk format URI names.</summary>
    public const string Format = "vmdk";

    /// <summary>
    /// Converts <paramref name="disk"/>, hashing the result with <paramref name="algorithm"/> (null: not hashed);
    /// <paramref name="progress"/> gets 0–100 for the conversion.
    /// </summary>
    public static ExportedVmdk Convert(PackageContext context, ScratchFolder scratch, PackageDisk disk, string memberName, ManifestAlgorithm? algorithm, Action<double> progress)
    {
        string path = scratch.PathOf(memberName);
        context.Cancellation.ThrowIfCancellationRequested();
        ImageConverter.Convert(context.Engine, new ConvertRequest
        {
            Sources = [disk.Path],
            SourceFormat = disk.Format,
            OutputFilename = path,
            OutputFormat = Format,
            TargetOptions = [new("subformat", "streamOptimized")],
            OutOfOrder = false,
            Progress = p =>
            {
                context.Cancellation.ThrowIfCancellationRequested();
                progress(p);
            },
        });

        long capacity, populated = 0;
        using (var vmdk = ImageOpener.Open(context.Engine, path, new OpenOptions { Format = Format, NoBacking = true }))
        {
            capacity = vmdk.VirtualSize;
            for (long offset = 0; offset < capacity;)
            {
                var status = BlockLayer.GetStatus(vmdk, offset, capacity - offset);
                if (status.Length <= 0)
                    break;
                if (status.IsData && !status.IsZero)
                    populated += status.Length;
                offset += status.Length;
            }
        }

        byte[]? digest = null;
        long size = new FileInfo(path).Length;
        if (algorithm is ManifestAlgorithm a)
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            using var hash = OvfManifest.CreateHash(a);
            byte[] buffer = new byte[HashChunk];
            int n;
            while ((n = file.Read(buffer, 0, buffer.Length)) > 0)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                hash.AppendData(buffer, 0, n);
            }
            if (file.Length != size)
                throw new IOException($"'{path}' changed size while being hashed");
            digest = hash.GetHashAndReset();
        }
        return new ExportedVmdk(memberName, path, new OvfDiskFile(memberName, size, capacity, populated), digest);
    }
}
