using ImageBuild.Engine.Block;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Operations;

/// <summary>
/// qemu-img dd, with its quirks kept: count·bs caps the input END offset (not the amount copied after skip),
/// the output is created with exactly the bytes to copy, and a skip past that end warns and writes an empty image.
/// </summary>
public static class ImageDd
{
    public static void Run(ImageContext context, DdRequest request)
    {
        if (request.Input is null || request.Output is null)
            throw new ImageException("Must specify both input and output files");
        var format = ImageCreator.FindCreatableFormat(context, request.OutputFormat, request.Output);

        using var input = ImageOpener.Open(context, request.Input,
            new OpenOptions { Format = request.InputFormat, ForceShare = request.ForceShare });
        long bs = request.BlockSize;
        long size = input.VirtualSize;
        if (request.Count is { } count && count <= long.MaxValue / bs && size > count * bs)
            size = count * bs;

        long skip = request.Skip ?? 0;
        bool skipPastEnd = request.Skip is not null && (skip > long.MaxValue / bs || size < skip * bs);
        long outSize = skipPastEnd ? 0 : size - skip * bs;

        try
        {
            format.Create(new CreateRequest(context, request.Output, outSize, new OptionValues()));
        }
        catch (ImageException e)
        {
            throw new ImageException($"{request.Output}: error while creating output image: {e.Message}", e);
        }

        using var output = ImageOpener.Open(context, request.Output, new OpenOptions { Format = request.OutputFormat, Writable = true });
        long inPos;
        if (skipPastEnd)
        {
            context.Warn($"{request.Input}: cannot skip to specified offset");
            inPos = size;
        }
        else
        {
            inPos = skip * bs;
        }

        // Copy in bs-sized steps, batched into larger I/O when bs is small.
        int step = (int)Math.Min(Math.Max(bs, 1 << 20) / bs * bs, int.MaxValue / 2);
        byte[] buf = GC.AllocateUninitializedArray<byte>((int)Math.Min(step, Math.Max(size - inPos, 1)));
        for (long outPos = 0; inPos < size;)
        {
            int n = (int)Math.Min(buf.Length, size - inPos);
            input.Read(inPos, buf.AsSpan(0, n));
            output.Write(outPos, buf.AsSpan(0, n));
            inPos += n;
            outPos += n;
        }
        output.Flush();
    }
}
