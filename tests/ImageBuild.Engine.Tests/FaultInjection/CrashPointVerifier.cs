using ImageBuild.Engine.Block;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.FaultInjection;

/// <summary>
/// Judges the files a crash (or a failed write) left: qemu-img check must find them clean or leaky only (exit 0 or
/// 3; exit 1 "cannot open" only for an image the operation was still creating), and each image's guest view,
/// read by qemu-img convert through its backing chain, must follow its <see cref="ViewRule"/>.
/// </summary>
public static class CrashPointVerifier
{
    /// <summary>Each image's guest view (raw bytes as qemu reads them), null where the file does not exist.</summary>
    public static Dictionary<string, byte[]?> Views(CrashCase c, string dir) =>
        c.Images.ToDictionary(i => i.Name, i => File.Exists(Path.Combine(dir, i.Name)) ? QemuView(dir, i.Name) : null);

    /// <summary>What is wrong with the files in <paramref name="dir"/>; empty when all is well.</summary>
    /// <param name="c">The case.</param>
    /// <param name="dir">The files as the crash or failure left them.</param>
    /// <param name="before">Views before the operation.</param>
    /// <param name="after">Views after a complete run.</param>
    /// <param name="inCreateStep">The crash happened while the operation was still creating its output.</param>
    /// <param name="flushed">Images whose last flush of the complete run had completed before the crash: their view
    /// must then read as after the operation (what was flushed must read back).</param>
    public static IEnumerable<string> Problems(CrashCase c, string dir, Dictionary<string, byte[]?> before, Dictionary<string, byte[]?> after, bool inCreateStep = false, ISet<string>? flushed = null)
    {
        foreach (var image in c.Images)
        {
            string path = Path.Combine(dir, image.Name);
            if (!File.Exists(path))
            {
                if (!image.CreatedByOperation)
                    yield return $"{image.Name} is gone";
                continue;
            }
            var check = QemuOracle.Run(QemuOracle.QemuImg, ["check", "-f", "qcow2", image.Name], dir);
            bool allowed = check.ExitCode is 0 or 3
                || (image.CreatedByOperation && (check.ExitCode == 1 || inCreateStep))
                || (check.ExitCode == 2 && c.CopiedFlagWindow && OnlyCopiedFlagErrors(check.StdOut + check.StdErr));
            if (!allowed)
            {
                yield return $"{image.Name}: qemu-img check exit {check.ExitCode}: {OneLine(check.StdErr + check.StdOut)}";
                continue;
            }
            if (check.ExitCode == 1 || (check.ExitCode == 2 && !c.CopiedFlagWindow))
                continue;
            if (flushed is not null && flushed.Contains(image.Name))
            {
                byte[] now = QemuView(dir, image.Name);
                if (!now.AsSpan().SequenceEqual(after[image.Name]))
                    yield return $"{image.Name}: its last flush had completed, yet the guest data differs from the finished operation's (first difference at byte {FirstDifference(now, after[image.Name]!)})";
            }
            if (image.Rule == ViewRule.ConsistentOnly)
                continue;
            byte[] view = QemuView(dir, image.Name);
            byte[] old = before[image.Name]!;
            bool ok = image.Rule switch
            {
                ViewRule.Unchanged => view.AsSpan().SequenceEqual(old),
                ViewRule.BeforeOrAfter => view.AsSpan().SequenceEqual(old) || view.AsSpan().SequenceEqual(after[image.Name]),
                ViewRule.PrefixUnchanged => view.Length >= image.PrefixBytes && view.AsSpan(0, (int)image.PrefixBytes).SequenceEqual(old.AsSpan(0, (int)image.PrefixBytes)),
                _ => true,
            };
            if (!ok)
                yield return $"{image.Name}: guest data differs from {(image.Rule == ViewRule.BeforeOrAfter ? "both the state before and after" : "the state before")} (first difference at byte {FirstDifference(view, old)})";
        }
    }

    /// <summary>Every error qemu-img check reported is an OFLAG_COPIED mismatch (see <see cref="CrashCase.CopiedFlagWindow"/>).</summary>
    private static bool OnlyCopiedFlagErrors(string output)
    {
        var errors = output.Split('\n').Where(l => l.StartsWith("ERROR", StringComparison.Ordinal)).ToList();
        return errors.Count > 0 && errors.All(l => l.StartsWith("ERROR OFLAG_COPIED", StringComparison.Ordinal));
    }

    private static byte[] QemuView(string dir, string name)
    {
        string raw = Path.Combine(dir, "view.raw.tmp");
        var r = QemuOracle.Run(QemuOracle.QemuImg, ["convert", "-f", "qcow2", "-O", "raw", name, raw], dir);
        if (r.ExitCode != 0)
            return System.Text.Encoding.UTF8.GetBytes("unreadable: " + r.StdErr);
        byte[] b = File.ReadAllBytes(raw);
        File.Delete(raw);
        return b;
    }

    private static long FirstDifference(byte[] a, byte[] b)
    {
        int n = Math.Min(a.Length, b.Length);
        for (int i = 0; i < n; i++)
            if (a[i] != b[i]) return i;
        return n;
    }

    private static string OneLine(string s)
    {
        s = s.ReplaceLineEndings(" | ").Trim();
        return s.Length <= 400 ? s : s[..400] + " ...";
    }

    /// <summary>An engine context whose host files consult <paramref name="plan"/>.</summary>
    public static ImageContext Context(HostFaultPlan plan) => new(FormatRegistry.CreateDefault()) { HostFaults = plan };

    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string f in Directory.GetFiles(from))
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)), overwrite: true);
    }
}
