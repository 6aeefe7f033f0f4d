using System.Formats.Tar;
using System.IO.Compression;

namespace ImageBuild.Oci.Distribution;

/// <summary>
/// Writes the one layer of a KubeVirt containerDisk (<see cref="ContainerDisk"/>): a gzip-compressed tar
/// (application/vnd.oci.image.layer.v1.tar+gzip) holding <c>disk/</c> and <c>disk/NAME</c>, owned 107:107, the file
/// mode 0440, every time field 0 and no user or group names, so the same disk file gives the same layer bytes on
/// every machine. GNU tar headers (System.Formats.Tar's Gnu format) because they carry sizes of 8 GiB and more (in
/// base 256) without PAX records, whose header names System.Formats.Tar derives from the process id. The disk file is
/// read once, sequentially; nothing is buffered whole and no temporary copy is made.
/// </summary>
public static class ContainerDiskLayer
{
    /// <summary>
    /// Writes the layer of disk file <paramref name="sourcePath"/>, named <paramref name="diskName"/> under
    /// <c>disk/</c>, into <paramref name="destination"/> (left open).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="diskName"/> is no plain file name.</exception>
    public static async Task<ContainerDiskLayerResult> WriteAsync(string sourcePath, string diskName, Stream destination, CancellationToken ct)
    {
        if (ArtifactNames.Problem(diskName) is { } problem)
            throw new ArgumentException($"{sourcePath}: {problem}", nameof(diskName));
        var source = new FileStream(sourcePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan | FileOptions.Asynchronous);
        await using (source.ConfigureAwait(false))
        {
            var gzip = new GZipStream(destination, CompressionLevel.Optimal, leaveOpen: true);
            await using (gzip.ConfigureAwait(false))
            {
                using var tar = new Layers.DigestingWriteStream(gzip);
                var writer = new TarWriter(tar, TarEntryFormat.Gnu, leaveOpen: true);
                await using (writer.ConfigureAwait(false))
                {
                    await writer.WriteEntryAsync(Entry(TarEntryType.Directory, ContainerDisk.Directory, ContainerDisk.DirectoryMode), ct).ConfigureAwait(false);
                    var file = Entry(TarEntryType.RegularFile, ContainerDisk.Directory + diskName, ContainerDisk.FileMode);
                    file.DataStream = source;
                    await writer.WriteEntryAsync(file, ct).ConfigureAwait(false);
                }
                await tar.FlushAsync(ct).ConfigureAwait(false);
                long fileSize = source.Length;
                return new ContainerDiskLayerResult(tar.FinishDigest(), tar.Written, fileSize);
            }
        }
    }

    private static GnuTarEntry Entry(TarEntryType type, string name, UnixFileMode mode) => new(type, name)
    {
        Uid = ContainerDisk.Owner,
        Gid = ContainerDisk.Owner,
        Mode = mode,
        ModificationTime = DateTimeOffset.UnixEpoch,
        AccessTime = DateTimeOffset.UnixEpoch,
        ChangeTime = DateTimeOffset.UnixEpoch,
        UserName = "",
        GroupName = "",
    };
}
