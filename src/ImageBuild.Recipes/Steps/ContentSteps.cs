using ImageBuild.Engine;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Info;
using ImageBuild.Engine.Operations;
using ImageBuild.Recipes.Host;

namespace ImageBuild.Recipes.Steps;

/// <summary>write: a copy of the input with a repository file's bytes, a byte pattern or zeroes at a guest offset.</summary>
internal sealed class WriteStep : IStepExecutor
{
    private const int Chunk = 1 << 20;

    public StepResult Execute(StepContext c)
    {
        c.CopyImage(c.From, c.PartialPath!);
        long offset = c.Step.Number("offset") ?? 0;
        using var dev = ImageOpener.Open(c.Engine, c.PartialPath!, new OpenOptions { Format = c.From.Format, Writable = true });
        if (c.Step.Text("file") is { } rel)
        {
            string path = c.Recipe.ResolveFile(rel);
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            CheckFits(dev, offset, fs.Length, rel);
            byte[] buf = new byte[Chunk];
            long pos = offset;
            int n;
            while ((n = fs.Read(buf)) > 0)
            {
                dev.Write(pos, buf.AsSpan(0, n));
                pos += n;
                if (fs.Length > 0) c.Progress(100.0 * (pos - offset) / fs.Length);
            }
        }
        else
        {
            long length = c.Step.Number("length") ?? 0;
            CheckFits(dev, offset, length, c.Step.Number("pattern") is { } p ? $"pattern 0x{p:x2}" : "zeroes");
            if (c.Step.Number("pattern") is { } pattern)
            {
                byte[] buf = new byte[(int)Math.Min(Chunk, Math.Max(length, 1))];
                Array.Fill(buf, (byte)pattern);
                for (long done = 0; done < length;)
                {
                    int n = (int)Math.Min(buf.Length, length - done);
                    dev.Write(offset + done, buf.AsSpan(0, n));
                    done += n;
                    c.Progress(100.0 * done / length);
                }
            }
            else if (length > 0)
            {
                dev.WriteZeroes(offset, length, WriteZeroesFlags.None);
            }
        }
        dev.Flush();
        return StepResult.Empty;
    }

    private static void CheckFits(BlockDevice dev, long offset, long length, string what)
    {
        if (offset < 0 || length < 0 || offset > dev.VirtualSize - length)
            throw new StepFailedException($"{what} ({length} bytes at offset {offset}) does not fit in the image ({dev.VirtualSize} bytes)");
    }
}

/// <summary>
/// apply: a copy of the input with every range the diff image allocates in its own layer (not its backing chain)
/// copied onto it — data as data, zero clusters as zeroes. The diff is opened without its backing chain, so a
/// prebuilt overlay works whatever its backing file was called where it was made.
/// </summary>
internal sealed class ApplyStep : IStepExecutor
{
    private const int Chunk = 2 << 20;

    public StepResult Execute(StepContext c)
    {
        string diffPath;
        string? diffFormat;
        if (c.Inputs.TryGetValue("image", out var img))
        {
            diffPath = img.Path;
            diffFormat = c.Step.Text("image-format") ?? img.Format;
        }
        else
        {
            diffPath = c.Recipe.ResolveFile(c.Step.Text("image-file")!);
            diffFormat = c.Step.Text("image-format");
        }
        c.CopyImage(c.From, c.PartialPath!);
        using var diff = ImageOpener.Open(c.Engine, diffPath, new OpenOptions { Format = diffFormat, NoBacking = true });
        using var target = ImageOpener.Open(c.Engine, c.PartialPath!, new OpenOptions { Format = c.From.Format, Writable = true });
        if (diff.VirtualSize > target.VirtualSize)
            throw new StepFailedException($"diff image '{Path.GetFileName(diffPath)}' ({diff.VirtualSize} bytes) is larger than '{c.From.FileName}' ({target.VirtualSize} bytes)");
        byte[] buf = GC.AllocateUninitializedArray<byte>(Chunk);
        long size = diff.VirtualSize;
        for (long off = 0; off < size;)
        {
            var st = BlockLayer.GetStatus(diff, off, Math.Min(Chunk, size - off));
            if (st.Length <= 0) break;
            if (st.IsAllocated)
            {
                if (st.IsZero && !st.IsData)
                    target.WriteZeroes(off, st.Length, WriteZeroesFlags.None);
                else
                {
                    var span = buf.AsSpan(0, (int)st.Length);
                    diff.Read(off, span);
                    target.Write(off, span);
                }
            }
            off += st.Length;
            c.Progress(100.0 * off / size);
        }
        target.Flush();
        return StepResult.Empty;
    }
}

/// <summary>check: qemu-img check of the input; corruption (and leaks unless allowed) fail the step.</summary>
internal sealed class CheckStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        using var dev = ImageOpener.Open(c.Engine, c.From.Path, new OpenOptions { Format = c.From.Format, NoBacking = true });
        if (!dev.SupportsCheck)
            throw new StepFailedException($"format '{dev.FormatName}' of '{c.From.FileName}' does not support checks");
        var log = new CollectingLog();
        CheckResult r = dev.Check(CheckRepair.None, log);
        string first = log.Lines.Count > 0 ? $": {log.Lines[0]}" : "";
        if (r.CheckErrors > 0)
            throw new StepFailedException($"'{c.From.FileName}': {r.CheckErrors} check errors{first}");
        if (r.Corruptions > 0)
            throw new StepFailedException($"'{c.From.FileName}' is corrupt: {r.Corruptions} errors{first}");
        if (r.Leaks > 0 && !c.Step.Bool("allow-leaks", true))
            throw new StepFailedException($"'{c.From.FileName}' has {r.Leaks} leaked clusters{first}");
        return new StepResult { Note = r.Leaks > 0 ? $"{r.Leaks} leaked clusters" : "no errors" };
    }

    private sealed class CollectingLog : ICheckLog
    {
        public List<string> Lines { get; } = [];
        public void Message(string line) => Lines.Add(line);
    }
}

/// <summary>measure: the required and fully-allocated sizes of the input in a format (qemu-img measure), with optional limits.</summary>
internal sealed class MeasureStep : IStepExecutor
{
    public StepResult Execute(StepContext c)
    {
        string fmt = c.Step.Text("format") ?? c.From.Format;
        var format = c.Engine.Formats.Find(fmt) ?? throw new StepFailedException($"format '{fmt}' is not supported by this engine yet");
        var options = new Engine.Options.OptionValues(ImageCreator.ParseOptions(format, c.Step.Options()));
        using var dev = ImageOpener.Open(c.Engine, c.From.Path, new OpenOptions { Format = c.From.Format });
        MeasureResult m = format.Measure(options, dev, 0);
        var result = new StepResult { MeasuredFormat = fmt, MeasuredRequired = m.Required, MeasuredFullyAllocated = m.FullyAllocated };
        if (c.Step.Number("max-required") is { } maxReq && m.Required > maxReq)
            return result with { Failure = $"required size {m.Required} bytes as {fmt} exceeds max-required {maxReq}" };
        if (c.Step.Number("max-fully-allocated") is { } maxFull && m.FullyAllocated > maxFull)
            return result with { Failure = $"fully-allocated size {m.FullyAllocated} bytes as {fmt} exceeds max-fully-allocated {maxFull}" };
        return result with { Note = $"required {m.Required}, fully allocated {m.FullyAllocated} bytes as {fmt}" };
    }
}

/// <summary>The executors by kind. Every kind but image (nothing to run) has one.</summary>
internal static class StepExecutors
{
    public static IStepExecutor? For(string kind) => kind switch
    {
        "create" => new CreateStep(),
        "overlay" => new OverlayStep(),
        "write" => new WriteStep(),
        "apply" => new ApplyStep(),
        "commit" => new CommitStep(),
        "rebase" => new RebaseStep(),
        "resize" => new ResizeStep(),
        "convert" => new ConvertStep(),
        "compress" => new CompressStep(),
        "snapshot" => new SnapshotStep(),
        "check" => new CheckStep(),
        "compare" => new CompareStep(),
        "measure" => new MeasureStep(),
        "azure-vhd" => new AzureVhdStep(),
        "hyperv-vhdx" => new HyperVVhdxStep(),
        "ova" => new Artifacts.OvaStep(),
        "vagrant-box" => new Artifacts.VagrantBoxStep(),
        "gce-tar" => new Artifacts.GceTarStep(),
        "checksums" => new Artifacts.ChecksumsStep(),
        "archive" => new Artifacts.ArchiveStep(),
        "filesystem" => new Filesystems.FilesystemStep(),
        "partition" => new Filesystems.PartitionStep(),
        "cloud-init-seed" => new Filesystems.CloudInitSeedStep(),
        _ => null,
    };
}
