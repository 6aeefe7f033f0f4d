using ImageBuild.Engine;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Info;
using ImageBuild.Engine.Operations;

namespace ImageBuild.Fuzz;

/// <summary>
/// What the fuzzer (and the replay test) does with one image file, using only what every format driver offers
/// through <see cref="BlockDevice"/>: open, info, map, read what is allocated, check; then, for drivers that can
/// write (they can create images), a writable open of a copy with a few writes, a flush and a repairing check.
/// The contract under test: bad input fails with <see cref="ImageException"/> only; nothing else escapes.
/// </summary>
public static class ImageExercise
{
    /// <summary>Reads stop after this many guest bytes (a hostile virtual size must not make a run endless).</summary>
    public const long MaxBytesRead = 32L << 20;

    /// <summary>Map stops after this many extents.</summary>
    public const int MaxMapEntries = 4096;

    private sealed class NullLog : ICheckLog
    {
        public void Message(string line) { }
    }

    /// <summary>
    /// Runs every read path on <paramref name="path"/> (format given or probed), then the write paths on
    /// <paramref name="writableCopy"/> (a copy made here) when the driver can write.
    /// </summary>
    public static void Run(ImageContext context, string path, string? format, string writableCopy)
    {
        string driverName;
        using (var device = ImageOpener.Open(context, path, new OpenOptions { Format = format, NoLocking = true }))
        {
            driverName = device.FormatName;
            ImageInfoCollector.Collect(device);
            ReadMapped(device);
            if (device.SupportsCheck)
                ImageChecker.Check(device, CheckRepair.None, new NullLog());
        }

        ImageFormat? driver = context.Formats.Find(driverName);
        if (driver is null || !driver.SupportsCreate)
            return;
        File.Copy(path, writableCopy, overwrite: true);
        var writable = new OpenOptions { Format = driverName, Writable = true, NoLocking = true };
        using (var device = ImageOpener.Open(context, writableCopy, writable))
            Write(device);
        using (var device = ImageOpener.Open(context, writableCopy, writable with { ForCheck = true }))
        {
            if (device.SupportsCheck)
                ImageChecker.Check(device, CheckRepair.All, new NullLog());
        }
    }

    /// <summary>Walks the block status of the whole device and reads the extents that hold data (bounded).</summary>
    private static void ReadMapped(BlockDevice device)
    {
        long budget = MaxBytesRead;
        int entries = 0;
        byte[] buffer = new byte[64 * 1024];
        foreach (var e in ImageMapper.Map(device, 0, null, humanCoalescing: false))
        {
            if (++entries > MaxMapEntries || budget <= 0)
                break;
            if (!e.Data)
                continue;
            long offset = e.Start, end = e.Start + Math.Min(e.Length, budget);
            while (offset < end)
            {
                int n = (int)Math.Min(buffer.Length, end - offset);
                device.Read(offset, buffer.AsSpan(0, n));
                offset += n;
                budget -= n;
            }
        }
    }

    /// <summary>A few writes at the start, the middle and the end, zeroes, a discard and a flush.</summary>
    private static void Write(BlockDevice device)
    {
        long size = device.VirtualSize;
        if (size <= 0)
            return;
        byte[] pattern = new byte[4096];
        Array.Fill(pattern, (byte)0xA5);
        int n = (int)Math.Min(pattern.Length, size);
        device.Write(0, pattern.AsSpan(0, n));
        long middle = size / 2 / 512 * 512;
        device.Write(middle, pattern.AsSpan(0, (int)Math.Min(n, size - middle)));
        long last = Math.Max(0, size - n);
        device.Write(last, pattern.AsSpan(0, n));
        device.WriteZeroes(0, Math.Min(size, 65536), WriteZeroesFlags.MayUnmap);
        device.Discard(middle, Math.Min(65536, size - middle));
        device.Flush();
    }
}
