using System.Xml.Linq;
using ImageBuild.Packaging.Tar;

namespace ImageBuild.Packaging.Ovf;

/// <summary>
/// Writes an OVA (DSP0243 §5.3): a ustar archive whose first member is the descriptor NAME.ovf, then the manifest
/// NAME.mf, then the disks NAME-disk1.vmdk, NAME-disk2.vmdk, ... in References order (there is no certificate).
/// Each input is read once, by its conversion to a streamOptimized VMDK in scratch; the VMDK is then hashed and,
/// after the descriptor and manifest, copied into the archive while hashed again, so a scratch file that changed in
/// between is an error instead of a package whose manifest lies. The descriptor is checked by <see cref="OvfRules"/>
/// before anything is written (a violation is a bug of this writer). On failure the output and the scratch files are
/// deleted.
/// </summary>
public static class OvaWriter
{
    /// <summary>Share of the progress the conversions take; hashing and archiving take the rest.</summary>
    private const double ConvertShare = 80;

    /// <summary>
    /// Converts each disk to a streamOptimized VMDK in scratch, hashes it, writes the envelope (checked by OvfRules),
    /// the manifest, and the ustar tar to <paramref name="outputPath"/>.
    /// </summary>
    public static PackageResult Write(PackageContext context, OvaRequest request, string outputPath)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        HardwareValidation.Check(request.Hardware);
        if (request.Disks.Count == 0)
            throw new ArgumentException("an OVA needs at least one disk");
        if (request.Disks.Any(d => d is null || string.IsNullOrEmpty(d.Path)))
            throw new ArgumentException("an OVA disk has no path");
        string name = request.Hardware.Name;
        string ovfName = name + ".ovf", mfName = name + ".mf";
        var exported = new List<ExportedVmdk>();
        bool done = false;
        try
        {
            using var scratch = new ScratchFolder(context, name + ".ova.d");
            int n = request.Disks.Count;
            for (int i = 0; i < n; i++)
            {
                double start = ConvertShare * i / n;
                exported.Add(VmdkExport.Convert(context, scratch, request.Disks[i], $"{name}-disk{i + 1}.vmdk", request.Manifest,
                    p => context.Progress?.Invoke(start + p * ConvertShare / n / 100)));
            }
            var members = new List<string> { ovfName, mfName };
            members.AddRange(exported.Select(e => e.MemberName));

            byte[] descriptor = OvfEnvelope.Write(request.Version, request.Hardware, exported.Select(e => e.Disk).ToList());
            var parsed = XDocument.Parse(System.Text.Encoding.UTF8.GetString(descriptor));
            var violations = OvfRules.Check(parsed, members).Concat(OvfRules.CheckArchiveOrder(parsed, members)).ToList();
            if (violations.Count > 0)
                throw new InvalidOperationException($"the OVF descriptor written for '{outputPath}' breaks DSP0243: {string.Join("; ", violations)}");

            var entries = new List<(string, byte[])> { (ovfName, HashOf(request.Manifest, descriptor)) };
            entries.AddRange(exported.Select(e => (e.MemberName, e.Digest!)));
            byte[] manifest = OvfManifest.Write(request.Manifest, entries);

            WriteArchive(context, outputPath, [(ovfName, descriptor), (mfName, manifest)], exported);
            done = true;
            return new PackageResult(members,
                $"OVA (OVF {(request.Version == OvfVersion.V2_0 ? "2.0" : "1.0")}) of '{name}': {n} streamOptimized VMDK disk(s), {OvfManifest.Label(request.Manifest)} manifest");
        }
        finally
        {
            if (!done)
                DeleteOutput(outputPath);
        }
    }

    /// <summary>
    /// Writes the members in order to a ustar archive at <paramref name="outputPath"/>: the small ones from memory,
    /// then each VMDK from scratch (hashed once already, for the manifest: the scratch file is this writer's own).
    /// </summary>
    private static void WriteArchive(PackageContext context, string outputPath, IReadOnlyList<(string Name, byte[] Content)> small,
        IReadOnlyList<ExportedVmdk> disks)
    {
        long total = disks.Sum(d => d.Disk.FileSize);
        long before = 0;
        using var output = new FileStream(outputPath, FileMode.Create, FileAccess.Write, FileShare.None, 1);
        using var tar = new DeterministicTarWriter(output, TarFormat.Ustar, context.MtimeSeconds, leaveOpen: true);
        foreach (var (name, content) in small)
            tar.AddFile(name, content);
        foreach (var disk in disks)
        {
            using var source = new FileStream(disk.ScratchPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            if (source.Length != disk.Disk.FileSize)
                throw new IOException($"'{disk.ScratchPath}' changed size while being packaged into '{outputPath}'");
            long offset = before;
            tar.AddFile(disk.MemberName, source, disk.Disk.FileSize,
                progress: copied => context.Progress?.Invoke(ConvertShare + (100 - ConvertShare) * (offset + copied) / Math.Max(1, total)),
                cancellation: context.Cancellation);
            before += disk.Disk.FileSize;
        }
        tar.Finish();
        output.Flush(flushToDisk: false);
    }

    internal static byte[] HashOf(ManifestAlgorithm algorithm, byte[] content)
    {
        using var hash = OvfManifest.CreateHash(algorithm);
        hash.AppendData(content);
        return hash.GetHashAndReset();
    }

    /// <summary>Deletes a half-written output so that it cannot be taken for a package.</summary>
    internal static void DeleteOutput(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
