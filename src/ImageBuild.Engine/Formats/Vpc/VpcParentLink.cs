using System.Text;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vpc;

/// <summary>
/// What a differencing VHD records about its parent when this driver writes one (create -b, rebase): the parent's
/// footer (Unique Id, time stamp, size), and its name in the forms the header stores: the unicode name and the W2ru
/// (relative, ".\name" as Windows writes it) and W2ku (absolute) locators, both UTF-16LE.
/// </summary>
internal sealed record VpcParentLink(VpcFooter ParentFooter, string Relative, string Absolute)
{
    /// <summary>Room given to each locator's data: Windows paths of this length fit, so rebase can rewrite them in place.</summary>
    public const int MinLocatorSpace = 4096;

    /// <summary>
    /// The parent <paramref name="parentName"/> (as the user gave it: relative to the child's folder, or absolute) of
    /// child <paramref name="childFilename"/>: its footer is read and checked. Fails with one line when it is not a VHD.
    /// </summary>
    public static VpcParentLink Read(string childFilename, string parentName, string? parentFormat)
    {
        if (parentFormat is not null && parentFormat != "vpc")
            throw new ImageException($"the parent of a differencing VHD must be a VHD (format vpc), not {parentFormat}: '{parentName}'");
        string path = ImageOpener.ResolveBackingName(childFilename, parentName);
        VpcFooter footer;
        try
        {
            using var file = HostFile.Open(path, writable: false);
            footer = ReadFooter(file) ?? throw new ImageException(
                $"the parent of a differencing VHD must be a VHD (format vpc): '{path}' has no VHD footer");
        }
        catch (IOException e)
        {
            throw new ImageException($"Could not open '{path}': {e.Message}", e);
        }
        string absolute = Path.GetFullPath(path);
        string relative = Path.IsPathRooted(parentName)
            ? Path.GetRelativePath(Path.GetDirectoryName(Path.GetFullPath(childFilename)) ?? "/", absolute)
            : parentName;
        return new VpcParentLink(footer, relative, absolute);
    }

    /// <summary>The footer of a VHD file: the copy at offset 0, else the one at the end; null when neither has the cookie and a valid checksum.</summary>
    public static VpcFooter? ReadFooter(HostFile file)
    {
        var buf = new byte[VpcFooter.Size];
        file.Read(0, buf);
        var footer = VpcFooter.Parse(buf);
        if (!footer.HasCookie && file.Length >= VpcFooter.Size)
        {
            file.Read(file.Length - VpcFooter.Size, buf);
            footer = VpcFooter.Parse(buf);
        }
        return footer.HasCookie && footer.ChecksumValid ? footer : null;
    }

    /// <summary>W2ru data: the relative name in Windows form, ".\dir\name.vhd", UTF-16LE.</summary>
    public byte[] W2ruData => Encoding.Unicode.GetBytes(Relative.StartsWith("..", StringComparison.Ordinal)
        ? Relative.Replace('/', '\\')
        : @".\" + Relative.Replace('/', '\\'));

    /// <summary>W2ku data: the absolute name as this host spells it, UTF-16LE.</summary>
    public byte[] W2kuData => Encoding.Unicode.GetBytes(Absolute);

    /// <summary>The parent's size as qemu 7.2 opens it.</summary>
    public long ParentSize => VpcGeometry.OpenSectors(ParentFooter) * 512;

    /// <summary>Room for a locator of <paramref name="length"/> bytes: whole sectors, at least <see cref="MinLocatorSpace"/>.</summary>
    public static int Space(int length) => Math.Max(MinLocatorSpace, (length + 511) & ~511);

    /// <summary>Fills the header's parent fields: Unique Id, time stamp, unicode name (the absolute name, as Windows stores it).</summary>
    public void ApplyTo(VpcDynamicHeader header)
    {
        header.ParentUniqueId = ParentFooter.UniqueId;
        header.ParentTimestamp = ParentFooter.Timestamp;
        header.ParentUnicodeName = Absolute;
    }
}
