using System.Diagnostics;

namespace ImageBuild.Engine.Crypto;

/// <summary>
/// How many PBKDF2 iterations a LUKS header gets for an iter-time, as qemu's qcrypto_pbkdf2_count_iters measures
/// them: PBKDF2 of the real inputs is timed from 2^15 iterations up (x10 below 100 ms, scaled towards the target
/// above) until one run takes more than 500 ms; the rate is iterations per second of that run. Reproducible images
/// (<see cref="Block.ImageIdentity.IsReproducible"/>) never measure: they use <see cref="FixedIterationsPerSecond"/>,
/// so the same seed gives the same header bytes on every machine.
/// </summary>
public static class LuksPbkdf2Rate
{
    /// <summary>The documented rate of reproducible images: one million PBKDF2 iterations per second.</summary>
    public const ulong FixedIterationsPerSecond = 1_000_000;

    /// <summary>Iterations per second of PBKDF2 with these inputs and output length: measured, or the fixed rate.</summary>
    public static ulong IterationsPerSecond(LuksHash hash, ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int outputLength, bool reproducible)
    {
        if (reproducible) return FixedIterationsPerSecond;
        var output = new byte[outputLength];
        long iterations = 1 << 15;
        while (true)
        {
            var watch = Stopwatch.StartNew();
            hash.Pbkdf2(password, salt, (int)Math.Min(iterations, int.MaxValue), output);
            long ms = watch.ElapsedMilliseconds;
            if (ms > 500) return (ulong)(iterations * 1000 / ms);
            if (iterations >= int.MaxValue) return (ulong)iterations * 1000 / (ulong)Math.Max(ms, 1);
            iterations = ms < 100 ? iterations * 10 : iterations * 1000 / Math.Max(ms, 1);
        }
    }

    /// <summary>
    /// qemu's scaling of a rate to an iteration count: rate x iter-time / 1000, divided by <paramref name="divisor"/>
    /// (8 for the master key digest, 1 for a key slot), at least <paramref name="minimum"/> (1000), with qemu's
    /// ERANGE messages when it does not fit.
    /// </summary>
    public static uint Scale(ulong rate, ulong iterTimeMs, ulong divisor, uint minimum)
    {
        if (iterTimeMs != 0 && rate > ulong.MaxValue / iterTimeMs)
            throw new ImageException($"PBKDF iterations {rate} too large to scale: Numerical result out of range");
        ulong iters = rate * iterTimeMs / 1000 / divisor;
        if (iters > uint.MaxValue)
            throw new ImageException($"PBKDF iterations {iters} larger than {uint.MaxValue}: Numerical result out of range");
        return Math.Max((uint)iters, minimum);
    }
}
