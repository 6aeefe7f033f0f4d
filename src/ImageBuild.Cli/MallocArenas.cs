using System.Runtime.InteropServices;

namespace ImageBuild.Cli;

/// <summary>
/// glibc gives each thread that mallocs under contention its own arena and reserves 64 MiB of address space for each
/// (up to 8 per core). Native code here mallocs from many threads (the runtime, zlib in every compression worker), so
/// under an address-space limit (ulimit -v, prlimit --as) those reservations alone exhaust it. Two arenas are plenty
/// for a program whose hot buffers are managed; this is MALLOC_ARENA_MAX=2 without needing the environment.
/// </summary>
internal static partial class MallocArenas
{
    private const int M_ARENA_MAX = -8;
    private const int MaxArenas = 2;

    /// <summary>Bounds the number of malloc arenas; a no-op off glibc.</summary>
    public static void Limit()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            _ = MallOpt(M_ARENA_MAX, MaxArenas);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // not glibc (musl has no arenas to bound)
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int MallOpt(int param, int value);
}
