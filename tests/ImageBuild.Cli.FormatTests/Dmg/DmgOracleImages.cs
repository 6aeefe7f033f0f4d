using ImageBuild.Tests.Shared;

namespace ImageBuild.Cli.FormatTests.Dmg;

/// <summary>Test-made DMGs (through <see cref="DmgBuilder"/>) and the comparison of runs with qemu-img's.</summary>
internal static class DmgOracleImages
{
    public const int ChunkSectors = 512;

    /// <summary>A 3 MiB disk: compressible text-like sectors, random ones, and runs of zeros, the same on every run.</summary>
    public static byte[] SourceDisk()
    {
        var disk = new byte[3 << 20];
        var rng = new Random(17);
        for (int s = 0; s < disk.Length / 512; s++)
        {
            var sector = disk.AsSpan(s * 512, 512);
            switch (s / 256 % 4)
            {
                case 0: for (int i = 0; i < 512; i++) sector[i] = (byte)"dmg chunk sector "[(s + i) % 17]; break;
                case 1: rng.NextBytes(sector); break;
                case 2: break; // zeros
                default: for (int i = 0; i < 512; i += 8) BitConverter.TryWriteBytes(sector[i..], (long)s * 1000 + i); break;
            }
        }
        return disk;
    }

    /// <summary>
    /// Writes <paramref name="disk"/> as a DMG at <paramref name="path"/>, chunk i encoded as
    /// <paramref name="typeOf"/>(i, its data) says; all-zero chunks as zero chunks where <paramref name="zeroChunks"/>.
    /// </summary>
    public static string Build(string path, byte[] disk, Func<int, uint> typeOf, bool resourceFork = false, bool zeroChunks = true, int chunkSectors = ChunkSectors)
    {
        using var b = new DmgBuilder(path);
        for (int i = 0; i * chunkSectors * 512 < disk.Length; i++)
        {
            var data = disk.AsSpan(i * chunkSectors * 512, Math.Min(chunkSectors * 512, disk.Length - i * chunkSectors * 512));
            b.Add(zeroChunks && !data.ContainsAnyExcept((byte)0) ? DmgBuilder.Zero : typeOf(i), data);
        }
        b.Finish(resourceFork);
        return path;
    }

    /// <summary>Runs <paramref name="args"/> with qemu-img in d.Q and with the tool in d.T: same exit code, stdout, stderr.</summary>
    public static (TimedResult Qemu, TimedResult Ours) SameAsQemu(OracleDirs d, params string[] args)
    {
        var expected = ToolUnderTest.Qemu(d.Q, args);
        var actual = ToolUnderTest.Run(d.T, args);
        OracleAssert.SameOutcome(expected, actual);
        return (expected, actual);
    }
}
