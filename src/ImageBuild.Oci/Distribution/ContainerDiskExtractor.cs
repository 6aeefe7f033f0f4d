using System.Formats.Tar;
using System.IO.Compression;

namespace ImageBuild.Oci.Distribution;

/// <summary>
/// Reads the layer of a containerDisk (<see cref="ContainerDisk"/>) without trusting it: a gzip tar holding at most
/// the directory <c>disk/</c> (and <c>./</c>) and exactly one regular file <c>disk/NAME</c> with NAME a plain file
/// name (<see cref="ArtifactNames"/>), no larger than the caller allows. Links, devices, sparse entries, a second
/// file, a file elsewhere are refused with one line. The uncompressed tar must hash to the config's diff_id.
/// </summary>
public static class ContainerDiskExtractor
{
    /// <summary>
    /// Extracts the disk file of <paramref name="layer"/> into <paramref name="destinationPath"/> (created new,
    /// deleted again on any failure) and returns its NAME.
    /// </summary>
    /// <exception cref="InvalidDataException">The layer is not a containerDisk layer as described; message "SHOWNAS: ...".</exception>
    public static async Task<string> ExtractAsync(Stream layer, string destinationPath, string expectedDiffId, long maxFileSize, string shownAs, CancellationToken ct)
    {
        var handle = File.OpenHandle(destinationPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.Asynchronous);
        bool done = false;
        try
        {
            string name;
            using (handle)
                name = await ExtractIntoAsync(layer, handle, expectedDiffId, maxFileSize, shownAs, ct).ConfigureAwait(false);
            done = true;
            return name;
        }
        finally
        {
            if (!done)
                File.Delete(destinationPath);
        }
    }

    private static async Task<string> ExtractIntoAsync(Stream layer, Microsoft.Win32.SafeHandles.SafeFileHandle file, string expectedDiffId, long maxFileSize, string shownAs, CancellationToken ct)
    {
        try
        {
            var gzip = new GZipStream(layer, CompressionMode.Decompress, leaveOpen: true);
            await using (gzip.ConfigureAwait(false))
            {
                using var tar = new HashingReadStream(gzip);
                var reader = new TarReader(tar, leaveOpen: true);
                string? name = null;
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
                    {
                        if (entry.EntryType == TarEntryType.Directory && IsDiskDirectory(entry.Name))
                            continue;
                        string? diskName = DiskName(entry.Name);
                        if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || diskName is null)
                            throw new InvalidDataException($"{shownAs}: the layer holds '{Shown(entry.Name)}' ({entry.EntryType}), not only {ContainerDisk.Directory}NAME");
                        if (entry is PaxTarEntry pax && pax.ExtendedAttributes.Keys.Any(k => k.StartsWith("GNU.sparse.", StringComparison.Ordinal)))
                            throw new InvalidDataException($"{shownAs}: the disk file is a sparse tar entry, which a containerDisk does not hold");
                        if (name is not null)
                            throw new InvalidDataException($"{shownAs}: the layer holds two disk files ('{name}', '{Shown(diskName)}')");
                        if (ArtifactNames.Problem(diskName) is { } problem)
                            throw new InvalidDataException($"{shownAs}: {problem}");
                        if (entry.Length > maxFileSize)
                            throw new InvalidDataException($"{shownAs}: the disk file '{diskName}' is {entry.Length} bytes, more than the {maxFileSize} allowed");
                        name = diskName;
                        await ZeroSkippingCopy.CopyAsync(entry.DataStream ?? Stream.Null, file, entry.Length, shownAs, ct).ConfigureAwait(false);
                    }
                }
                if (name is null)
                    throw new InvalidDataException($"{shownAs}: the layer holds no file under {ContainerDisk.Directory}");
                string diffId = await tar.DrainAndDigestAsync(ct).ConfigureAwait(false);
                if (diffId != expectedDiffId)
                    throw new InvalidDataException($"{shownAs}: the layer's content is {diffId}, not the {expectedDiffId} its config names");
                return name;
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ArgumentException)
        {
            if (e is InvalidDataException && e.Message.StartsWith(shownAs + ": ", StringComparison.Ordinal))
                throw;
            throw new InvalidDataException($"{shownAs}: the layer is no valid gzip tar", e);
        }
    }

    private static bool IsDiskDirectory(string name) => name is "./" or "." or "disk" or "disk/" or "./disk" or "./disk/";

    /// <summary>NAME of "disk/NAME" or "./disk/NAME"; null for anything else.</summary>
    private static string? DiskName(string entryName)
    {
        string name = entryName.StartsWith("./", StringComparison.Ordinal) ? entryName[2..] : entryName;
        return name.StartsWith(ContainerDisk.Directory, StringComparison.Ordinal) && name.Length > ContainerDisk.Directory.Length
            ? name[ContainerDisk.Directory.Length..] : null;
    }

    private static string Shown(string name) => name.Length > 80 ? name[..80] + "..." : name;
}
