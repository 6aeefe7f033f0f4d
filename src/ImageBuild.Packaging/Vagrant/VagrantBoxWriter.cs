using System.Xml.Linq;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;
using ImageBuild.Packaging.Compression;
using ImageBuild.Packaging.Ovf;
using ImageBuild.Packaging.Tar;

namespace ImageBuild.Packaging.Vagrant;

/// <summary>
/// Writes a Vagrant box (Vagrant's box file format: a gzip-compressed tar holding metadata.json, a Vagrantfile and
/// the provider's files), with the members Packer's vagrant post-processor gives each provider:
/// <list type="bullet">
/// <item>libvirt: metadata.json, Vagrantfile, box.img — the input converted once to qcow2 (its backing chain
/// flattened), as vagrant-libvirt imports it.</item>
/// <item>VirtualBox: metadata.json, Vagrantfile, box.ovf, box-disk001.vmdk — the input converted once to a
/// streamOptimized VMDK and the OVF 1.0 descriptor of <see cref="OvfEnvelope"/> (checked by <see cref="OvfRules"/>),
/// as VirtualBox's export gives and Vagrant imports (it takes the first .ovf of the box).</item>
/// </list>
/// The tar is ustar with the context's mtime, uid/gid 0, mode 0644; gzip's bytes do not depend on the thread count.
/// The converted disk lives in a scratch folder (under its member name) until it is archived; on failure the output and scratch files are deleted.
/// </summary>
public static class VagrantBoxWriter
{
    private const double ConvertShare = 80;

    public const string LibvirtImage = "box.img";

    /// <summary>The format of <see cref="LibvirtImage"/>: vagrant-libvirt takes qcow2 boxes.</summary>
    public const string LibvirtFormat = "qcow2";
    public const string VirtualBoxDescriptor = "box.ovf";
    public const string VirtualBoxDisk = "box-disk001.vmdk";

    public static PackageResult Write(PackageContext context, VagrantBoxRequest request, string outputPath)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        HardwareValidation.Check(request.Hardware);
        if (request.Disk is null || string.IsNullOrEmpty(request.Disk.Path))
            throw new ArgumentException("the Vagrant box's disk has no path");
        string diskMember = request.Provider switch
        {
            VagrantProvider.Libvirt => LibvirtImage,
            VagrantProvider.VirtualBox => VirtualBoxDisk,
            _ => throw new ArgumentOutOfRangeException(nameof(request), $"unknown Vagrant provider {request.Provider}"),
        };
        bool done = false;
        try
        {
            using var folder = new ScratchFolder(context, "vagrant-box.d");
            string scratch = folder.PathOf(diskMember);
            Action<double> convertProgress = p => context.Progress?.Invoke(p * ConvertShare / 100);
            var small = new List<(string Name, byte[] Content)>();
            long diskSize;
            if (request.Provider == VagrantProvider.Libvirt)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                ImageConverter.Convert(context.Engine, new ConvertRequest
                {
                    Sources = [request.Disk.Path],
                    SourceFormat = request.Disk.Format,
                    OutputFilename = scratch,
                    OutputFormat = LibvirtFormat,
                    OutOfOrder = false,
                    Progress = p =>
                    {
                        context.Cancellation.ThrowIfCancellationRequested();
                        convertProgress(p);
                    },
                });
                long virtualSize;
                using (var image = ImageOpener.Open(context.Engine, scratch, new OpenOptions { Format = LibvirtFormat, NoBacking = true, NoIo = true }))
                    virtualSize = image.VirtualSize;
                small.Add(("metadata.json", VagrantBoxFiles.LibvirtMetadata(virtualSize)));
                small.Add(("Vagrantfile", VagrantBoxFiles.LibvirtVagrantfile(request.Hardware)));
                diskSize = new FileInfo(scratch).Length;
            }
            else
            {
                var vmdk = VmdkExport.Convert(context, folder, request.Disk, VirtualBoxDisk, algorithm: null, convertProgress);
                byte[] descriptor = OvfEnvelope.Write(OvfVersion.V1_0, request.Hardware, [vmdk.Disk]);
                var violations = OvfRules.Check(XDocument.Parse(System.Text.Encoding.UTF8.GetString(descriptor)), [VirtualBoxDescriptor, VirtualBoxDisk]);
                if (violations.Count > 0)
                    throw new InvalidOperationException($"the OVF descriptor written for '{outputPath}' breaks DSP0243: {string.Join("; ", violations)}");
                small.Add(("metadata.json", VagrantBoxFiles.VirtualBoxMetadata()));
                small.Add(("Vagrantfile", VagrantBoxFiles.VirtualBoxVagrantfile(VagrantBoxFiles.BaseMac(context.Engine.Identity))));
                small.Add((VirtualBoxDescriptor, descriptor));
                diskSize = vmdk.Disk.FileSize;
            }

            WriteBox(context, outputPath, small, diskMember, scratch, diskSize);
            done = true;
            var members = small.Select(s => s.Name).Append(diskMember).ToList();
            string provider = request.Provider == VagrantProvider.Libvirt ? "libvirt (qcow2)" : "virtualbox (OVF 1.0, streamOptimized VMDK)";
            return new PackageResult(members, $"Vagrant box of '{request.Hardware.Name}' for {provider}, gzip-compressed tar");
        }
        finally
        {
            if (!done)
                OvaWriter.DeleteOutput(outputPath);
        }
    }

    private static void WriteBox(PackageContext context, string outputPath, IReadOnlyList<(string Name, byte[] Content)> small,
        string diskMember, string diskPath, long diskSize)
    {
        using var file = new FileStream(outputPath, FileMode.Create, FileAccess.Write, FileShare.None, 1);
        using (var gzip = Compressors.Create(file, CompressionMethod.Gzip, level: null, threads: context.Threads, leaveOpen: true))
        using (var tar = new DeterministicTarWriter(gzip, TarFormat.Ustar, context.MtimeSeconds, leaveOpen: true))
        {
            foreach (var (name, content) in small)
                tar.AddFile(name, content);
            using var disk = new FileStream(diskPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            if (disk.Length != diskSize)
                throw new IOException($"'{diskPath}' changed size while being packaged into '{outputPath}'");
            tar.AddFile(diskMember, disk, diskSize,
                progress: copied => context.Progress?.Invoke(ConvertShare + (100 - ConvertShare) * copied / Math.Max(1, diskSize)),
                cancellation: context.Cancellation);
            tar.Finish();
        }
        file.Flush(flushToDisk: false);
    }
}
