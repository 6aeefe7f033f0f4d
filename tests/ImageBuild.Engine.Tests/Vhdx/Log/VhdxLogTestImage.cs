using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using ImageBuild.Engine.Formats.Vhdx;
using ImageBuild.Engine.Formats.Vhdx.Log;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Vhdx.Log;

/// <summary>
/// Just enough of a VHDX header for the log tests (VHDX 1.0 §2.2.2): the current header is the valid one ("head",
/// CRC-32C) with the higher sequence number at 64 KiB or 128 KiB; it gives the log's region and GUID.
/// </summary>
internal static class VhdxLogTestImage
{
    public const long Header1 = 64 * 1024, Header2 = 128 * 1024, HeaderSize = 4096;

    public readonly record struct CurrentHeader(long HeaderOffset, VhdxLogRegion Region, Guid LogGuid, ulong Sequence);

    public static CurrentHeader Read(string path)
    {
        byte[] file = new byte[Header2 + HeaderSize];
        using (var s = File.OpenRead(path))
            s.ReadExactly(file);
        CurrentHeader? best = null;
        foreach (long at in new[] { Header1, Header2 })
        {
            var h = file.AsSpan((int)at, (int)HeaderSize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(h) != 0x64616568 || !VhdxChecksum.IsValid(h, 4))
                continue;
            ulong sequence = BinaryPrimitives.ReadUInt64LittleEndian(h[8..]);
            var region = new VhdxLogRegion((long)BinaryPrimitives.ReadUInt64LittleEndian(h[72..]), BinaryPrimitives.ReadUInt32LittleEndian(h[68..]));
            if (best is null || sequence > best.Value.Sequence)
                best = new CurrentHeader(at, region, new Guid(h.Slice(48, 16)), sequence);
        }
        return best ?? throw new AssertFailedException($"{path}: no valid VHDX header");
    }

    /// <summary>Sets the current header's LogGuid and its checksum (as a driver does before writing a log entry).</summary>
    public static void SetLogGuid(string path, Guid guid)
    {
        var current = Read(path);
        byte[] h = new byte[HeaderSize];
        using var s = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        s.Position = current.HeaderOffset;
        s.ReadExactly(h);
        guid.TryWriteBytes(h.AsSpan(48, 16));
        VhdxChecksum.Update(h, 4);
        s.Position = current.HeaderOffset;
        s.Write(h);
    }

    /// <summary>A shared real image as a file in <paramref name="dir"/> (decompressed from .gz / .bz2 as stored).</summary>
    public static string Materialize(string relative, string dir, string name)
    {
        string root = QemuOracle.SharedImages ?? throw new AssertFailedException("the shared images are missing");
        string stored = Path.Combine(root, relative);
        string target = Path.Combine(dir, name);
        if (File.Exists(stored))
            File.Copy(stored, target, true);
        else if (File.Exists(stored + ".gz"))
        {
            using var gz = new GZipStream(File.OpenRead(stored + ".gz"), CompressionMode.Decompress);
            using var output = File.Create(target);
            gz.CopyTo(output);
        }
        else if (File.Exists(stored + ".bz2"))
        {
            var psi = new ProcessStartInfo("bzip2", ["-dc", stored + ".bz2"]) { RedirectStandardOutput = true, UseShellExecute = false };
            using var p = Process.Start(psi)!;
            using (var output = File.Create(target))
                p.StandardOutput.BaseStream.CopyTo(output);
            p.WaitForExit();
            Assert.AreEqual(0, p.ExitCode, "bzip2 failed");
        }
        else
            throw new AssertFailedException($"{stored} (or .gz/.bz2) is missing");
        return target;
    }

    /// <summary>File offsets of the 4 KiB sectors that differ between two files (the shorter reads as zeros).</summary>
    public static List<long> DifferingSectors(string a, string b)
    {
        var result = new List<long>();
        using var fa = File.OpenRead(a);
        using var fb = File.OpenRead(b);
        byte[] ba = new byte[1 << 20], bb = new byte[1 << 20];
        long length = Math.Max(fa.Length, fb.Length);
        for (long at = 0; at < length; at += ba.Length)
        {
            Array.Clear(ba); Array.Clear(bb);
            fa.Position = at; fb.Position = at;
            ReadUpTo(fa, ba); ReadUpTo(fb, bb);
            for (int s = 0; s < ba.Length; s += 4096)
                if (!ba.AsSpan(s, 4096).SequenceEqual(bb.AsSpan(s, 4096)))
                    result.Add(at + s);
        }
        return result;
    }

    private static void ReadUpTo(Stream s, byte[] buffer)
    {
        int done = 0, n;
        while (done < buffer.Length && (n = s.Read(buffer, done, buffer.Length - done)) > 0)
            done += n;
    }
}
