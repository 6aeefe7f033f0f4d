using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace ImageBuild.Engine.Compression;

/// <summary>
/// Binds this assembly's P/Invoke library names (such as "imagebuild-zlib") to the system libraries the loaders found.
/// .NET allows one import resolver per assembly, so every loader registers through this one.
/// </summary>
internal static class NativeLibraryResolver
{
    private static readonly ConcurrentDictionary<string, nint> Handles = new();

    static NativeLibraryResolver()
    {
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly,
            (library, _, _) => Handles.TryGetValue(library, out nint handle) ? handle : 0);
    }

    /// <summary>Makes P/Invokes declared against <paramref name="importName"/> call into <paramref name="handle"/>.</summary>
    public static void Register(string importName, nint handle) => Handles[importName] = handle;
}
