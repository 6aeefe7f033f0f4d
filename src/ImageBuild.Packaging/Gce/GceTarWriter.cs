using ImageBuild.Engine;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using ImageBuild.Packaging.Compression;
using ImageBuild.Packaging.Tar;

namespace ImageBuild.Packaging.Gce;

/// <summary>What to package for Compute Engine: one disk.</summary>
public sealed record GceTarRequest(PackageDisk Disk);

/// <summary>
/// Writes a Compute Engine image tarball (<see cref="GceImage"/>): the disk converted to raw at its rounded size in
/// scratch, then <c>gzip(GNU tar with one sparse member disk.raw)</c>, the archive <c>tar --format=oldgnu -Sczf</c>
/// makes. The bytes depend on the disk's content, the context's mtime and gzip's level only.
/// </summary>
public static class GceTarWriter
{
    /// <summary>Share of the progress given to the conversion; the rest is the archive.</summary>
    private const double ConvertShare = 30;

    /// <summary>
    /// Converts the disk to raw (<see cref="ImageCreator.Create"/> at the rounded size, then
    /// <see cref="ImageConverter.Convert"/> with NoCreate and TargetIsZero, so zeros stay holes) into a scratch
    /// file, then writes <paramref name="outputPath"/> = gzip(GNU tar with one sparse member disk.raw). On failure
    /// the scratch file and the partial output are deleted.
    /// </summary>
    /// <exception cref="ImageException">The disk cannot be read, or is too large for Compute Engine (one line).</exception>
    public static PackageResult Write(PackageContext context, GceTarRequest request, string outputPath)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        context.Cancellation.ThrowIfCancellationRequested();
        long sourceSize = SourceSize(context, request.Disk);
        if (GceImage.Refusal($"'{request.Disk.Path}'", sourceSize) is { } why) throw new ImageException(why);
        long size = GceImage.VirtualSizeFor(sourceSize)!.Value;

        string raw = context.Scratch(GceImage.DiskFileName);
        bool written = false;
        try
        {
            ConvertToRaw(context, request.Disk, raw, size);
            WriteTarball(context, raw, outputPath);
            written = true;
        }
        finally
        {
            DeleteQuietly(raw);
            if (!written) DeleteQuietly(outputPath);
        }
        context.Progress?.Invoke(100);
        return new PackageResult([GceImage.DiskFileName], GceImage.Describe(sourceSize));
    }

    /// <summary>Removes a file this packager created; a failure here must not hide the one that brought us here.</summary>
    private static void DeleteQuietly(string path)
    {
        try
        {
            if (File.Exists(path)) File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static long SourceSize(PackageContext context, PackageDisk disk)
    {
        using var source = ImageOpener.Open(context.Engine, disk.Path, new OpenOptions { Format = disk.Format, NoBacking = true, NoIo = true, ForceShare = true });
        return source.VirtualSize;
    }

    private static void ConvertToRaw(PackageContext context, PackageDisk disk, string raw, long size)
    {
        ImageCreator.Create(context.Engine, new CreateImageRequest { Filename = raw, Format = GceImage.Format, Size = size }, formatting: null);
        ImageConverter.Convert(context.Engine, new ConvertRequest
        {
            Sources = [disk.Path],
            SourceFormat = disk.Format,
            OutputFilename = raw,
            OutputFormat = GceImage.Format,
            NoCreate = true,
            TargetIsZero = true,
            OutOfOrder = false,
            Progress = percent =>
            {
                context.Cancellation.ThrowIfCancellationRequested();
                context.Progress?.Invoke(percent * ConvertShare / 100);
            },
        });
    }

    private static void WriteTarball(PackageContext context, string raw, string outputPath)
    {
        long length = new FileInfo(raw).Length;
        using var file = new FileStream(outputPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using Stream gzip = Gzip(file, context.Threads);
        using var tar = new DeterministicTarWriter(gzip, TarFormat.Gnu, context.MtimeSeconds, leaveOpen: true);
        // Progress by stored bytes against the disk's length: a mostly empty disk jumps to the end, which it reaches quickly.
        tar.AddSparseFile(GceImage.DiskFileName, raw,
            progress: stored => context.Progress?.Invoke(ConvertShare + (100 - ConvertShare) * stored / Math.Max(1, length)),
            cancellation: context.Cancellation);
        tar.Finish();
    }

    /// <summary>gzip at its default level, the way <c>tar -z</c> compresses (bytes independent of the thread count).</summary>
    private static Stream Gzip(Stream output, int threads) =>
        Compressors.Create(output, CompressionMethod.Gzip, level: null, threads: threads, leaveOpen: true);
}
