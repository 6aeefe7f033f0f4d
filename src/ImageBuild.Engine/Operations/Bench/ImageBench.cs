using System.Diagnostics;
using System.Globalization;
using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Operations;

/// <summary>
/// qemu-img bench: a fixed number of reads or writes of one size, at offsets advancing by a step and wrapping
/// at the end of the image as qemu-img 7.2 does. Requests are issued in order on one thread; the depth is reported as qemu does.
/// </summary>
public static class ImageBench
{
    /// <summary>Runs the benchmark; <paramref name="output"/> receives qemu-img's lines.</summary>
    public static TimeSpan Run(ImageContext context, BenchRequest request, Action<string> output)
    {
        if (request.FlushInterval != 0 && !request.Write)
            throw new ImageException("--flush-interval is only available in write tests");
        if (request.FlushInterval != 0 && request.FlushInterval < request.Depth)
            throw new ImageException("Flush interval can't be smaller than depth");
        if (request.Count < 1) throw new ImageException("Invalid request count specified");
        if (request.Depth < 1) throw new ImageException("Invalid queue depth specified");
        if (request.BufferSize < 1) throw new ImageException("Invalid buffer size specified");

        using var device = ImageOpener.Open(context, request.Filename,
            new OpenOptions { Format = request.Format, Writable = request.Write, ForceShare = request.ForceShare });
        int step = request.StepSize == 0 ? request.BufferSize : request.StepSize;
        long size = device.VirtualSize;

        output(string.Create(CultureInfo.InvariantCulture,
            $"Sending {request.Count} {(request.Write ? "write" : "read")} requests, {request.BufferSize} bytes each, {request.Depth} in parallel (starting at offset {request.Offset}, step size {step})"));
        if (request.FlushInterval != 0)
            output(string.Create(CultureInfo.InvariantCulture, $"Sending flush every {request.FlushInterval} requests"));

        byte[] buf = GC.AllocateUninitializedArray<byte>(request.BufferSize);
        Array.Fill(buf, request.Pattern);
        var clock = Stopwatch.StartNew();
        long offset = request.Offset;
        for (int i = 0; i < request.Count; i++)
        {
            if (offset < 0 || offset + request.BufferSize > size)
                throw new ImageException("Failed request: Input/output error");
            if (request.Write)
                device.Write(offset, buf);
            else
                device.Read(offset, buf);
            if (request.FlushInterval != 0 && (i + 1) % request.FlushInterval == 0)
                device.Flush();
            // qemu-img 7.2 wraps modulo the whole image size (a later request may then overrun the end and
            // fail, as in 7.2); a zero-size image, where 7.2 divides by zero, restarts at 0.
            offset += step;
            offset = size == 0 ? 0 : offset % size;
        }
        if (request.Write) device.Flush();
        var elapsed = clock.Elapsed;
        output(string.Create(CultureInfo.InvariantCulture, $"Run completed in {elapsed.TotalSeconds:0.000} seconds."));
        return elapsed;
    }
}
