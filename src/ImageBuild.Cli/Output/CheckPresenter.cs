using System.Globalization;
using System.Text;
using ImageBuild.Engine.Info;
using ImageBuild.Engine.Operations;

namespace ImageBuild.Cli.Output;

/// <summary>qemu-img check's outputs (dump_human_image_check, the repair preamble, the ImageCheck JSON).</summary>
public static class CheckPresenter
{
    public static string RepairPreamble(CheckResult r) =>
        "The following inconsistencies were found and repaired:\n\n" +
        $"    {r.LeaksFixed} leaked clusters\n" +
        $"    {r.CorruptionsFixed} corruptions\n\n" +
        "Double checking the fixed image now...\n";

    public static string Human(CheckResult r)
    {
        var sb = new StringBuilder();
        if (r.Corruptions == 0 && r.Leaks == 0 && r.CheckErrors == 0)
        {
            sb.Append("No errors were found on the image.\n");
        }
        else
        {
            if (r.Corruptions != 0)
                sb.Append(CultureInfo.InvariantCulture, $"\n{r.Corruptions} errors were found on the image.\nData may be corrupted, or further writes to the image may corrupt it.\n");
            if (r.Leaks != 0)
                sb.Append(CultureInfo.InvariantCulture, $"\n{r.Leaks} leaked clusters were found on the image.\nThis means waste of disk space, but no harm to data.\n");
            if (r.CheckErrors != 0)
                sb.Append(CultureInfo.InvariantCulture, $"\n{r.CheckErrors} internal errors have occurred during the check.\n");
        }
        if (r.TotalClusters != 0 && r.AllocatedClusters != 0)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"{r.AllocatedClusters}/{r.TotalClusters} = {CFormat.F(r.AllocatedClusters * 100.0 / r.TotalClusters, 2)}% allocated, " +
                $"{CFormat.F(r.FragmentedClusters * 100.0 / r.AllocatedClusters, 2)}% fragmented, " +
                $"{CFormat.F(r.CompressedClusters * 100.0 / r.AllocatedClusters, 2)}% compressed clusters\n");
        }
        if (r.ImageEndOffset != 0)
            sb.Append(CultureInfo.InvariantCulture, $"Image end offset: {r.ImageEndOffset}\n");
        return sb.ToString();
    }

    public static string Json(CheckResult r, string filename, string format) =>
        QDictJsonWriter.Serialize(ImageChecker.ToQapi(r, filename, format)) + "\n";
}
