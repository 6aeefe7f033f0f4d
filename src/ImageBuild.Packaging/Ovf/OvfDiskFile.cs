namespace ImageBuild.Packaging.Ovf;

/// <summary>
/// One disk of an envelope: its file in the package (References/File ovf:href and ovf:size, DSP0243 §7.1) and the
/// virtual disk it holds (DiskSection/Disk ovf:capacity in bytes and the optional ovf:populatedSize, §9.1).
/// </summary>
/// <param name="FileName">The file's name in the package (a plain relative name).</param>
/// <param name="FileSize">The file's size in bytes.</param>
/// <param name="CapacityBytes">The virtual disk's size in bytes.</param>
/// <param name="PopulatedSize">Bytes of the disk holding data, if known (readers use it to estimate thin disks).</param>
public sealed record OvfDiskFile(string FileName, long FileSize, long CapacityBytes, long? PopulatedSize);
