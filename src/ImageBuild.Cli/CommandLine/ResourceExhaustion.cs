namespace ImageBuild.Cli.CommandLine;

/// <summary>
/// Recognises a failure caused by running out of memory or address space (ulimit -v, prlimit --as): the managed heap,
/// a thread that could not be started, an assembly that could not be mapped. Such failures may arrive wrapped by
/// worker threads and the task library; they are reported as one line, as qemu-img reports ENOMEM.
/// </summary>
internal static class ResourceExhaustion
{
    public const string Message = "Cannot allocate memory";

    /// <summary>The line to print for <paramref name="e"/>, or null when it is not an exhaustion of memory.</summary>
    public static string? Describe(Exception e)
    {
        foreach (var x in Flatten(e))
        {
            switch (x)
            {
                case OutOfMemoryException: // including InsufficientMemoryException
                case ThreadStartException:
                    return Message;
                case FileLoadException or FileNotFoundException when IsAssembly(x):
                    // The runtime maps its assemblies on first use; under an address-space limit that mmap fails.
                    return $"Could not load {AssemblyName(x)}: {Message}";
            }
        }
        return null;
    }

    private static IEnumerable<Exception> Flatten(Exception e)
    {
        var pending = new Stack<Exception>([e]);
        for (int seen = 0; pending.Count > 0 && seen < 64; seen++)
        {
            var x = pending.Pop();
            yield return x;
            if (x is AggregateException a)
                foreach (var inner in a.InnerExceptions) pending.Push(inner);
            else if (x.InnerException is { } inner)
                pending.Push(inner);
        }
    }

    private static bool IsAssembly(Exception x) =>
        (x as FileNotFoundException)?.FileName is { } f1 && f1.Contains("Version=", StringComparison.Ordinal) ||
        (x as FileLoadException)?.FileName is { } f2 && f2.Contains("Version=", StringComparison.Ordinal);

    private static string AssemblyName(Exception x)
    {
        string name = (x as FileNotFoundException)?.FileName ?? (x as FileLoadException)?.FileName ?? "";
        int comma = name.IndexOf(',', StringComparison.Ordinal);
        return comma > 0 ? name[..comma] : name;
    }
}
