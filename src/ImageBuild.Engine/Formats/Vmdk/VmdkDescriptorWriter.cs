using System.Globalization;
using System.Text;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>
/// The descriptor text qemu's vmdk_co_do_create writes (spec: "The Descriptor File": header, extent description,
/// disk database), line for line as qemu's template has it, so that a created image is byte-identical to qemu-img's
/// once the CID is masked.
/// </summary>
internal static class VmdkDescriptorWriter
{
    /// <summary>One extent line (spec: access, size in sectors, type, file name, and an offset for FLAT).</summary>
    public static string ExtentLine(bool flat, long bytes, string fileName) =>
        flat
            ? $"RW {Sectors(bytes)} FLAT \"{fileName}\" 0\n"
            : $"RW {Sectors(bytes)} SPARSE \"{fileName}\"\n";

    private static string Sectors(long bytes) => ((bytes + 511) / 512).ToString(CultureInfo.InvariantCulture);

    /// <param name="cid">Spec: CID, the content ID (random in qemu; from the context's identity here).</param>
    /// <param name="parentCid">Spec: parentCID, 0xffffffff ("no parent") or the base's CID.</param>
    public static string Write(uint cid, uint parentCid, string createType, string? parentFileNameHint, string extentLines,
        string hwVersion, long size, string adapterType, string toolsVersion)
    {
        // qemu: VMware uses 255 heads for every adapter but IDE (spec: ddb.geometry.*; sectors are always 63)
        int heads = adapterType == "ide" ? 16 : 255;
        long cylinders = size / (63L * heads * 512);
        var sb = new StringBuilder();
        sb.Append("# Disk DescriptorFile\n"); // spec: the descriptor's first line, which VMware's tools look for
        sb.Append("version=1\n"); // spec: descriptor version 1
        sb.Append("CID=").Append(cid.ToString("x", CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("parentCID=").Append(parentCid.ToString("x", CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("createType=\"").Append(createType).Append("\"\n"); // spec: createType, the subformat
        if (parentFileNameHint is not null)
            sb.Append("parentFileNameHint=\"").Append(parentFileNameHint).Append('"'); // qemu: no newline of its own
        sb.Append('\n');
        sb.Append("# Extent description\n");
        sb.Append(extentLines);
        sb.Append('\n');
        sb.Append("# The Disk Data Base\n");
        sb.Append("#DDB\n");
        sb.Append('\n');
        sb.Append("ddb.virtualHWVersion = \"").Append(hwVersion).Append("\"\n");
        sb.Append("ddb.geometry.cylinders = \"").Append(cylinders.ToString(CultureInfo.InvariantCulture)).Append("\"\n");
        sb.Append("ddb.geometry.heads = \"").Append(heads.ToString(CultureInfo.InvariantCulture)).Append("\"\n");
        sb.Append("ddb.geometry.sectors = \"63\"\n");
        sb.Append("ddb.adapterType = \"").Append(adapterType).Append("\"\n");
        sb.Append("ddb.toolsVersion = \"").Append(toolsVersion).Append("\"\n");
        return sb.ToString();
    }
}
