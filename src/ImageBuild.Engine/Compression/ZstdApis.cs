namespace ImageBuild.Engine.Compression;

/// <summary>
/// Which <see cref="IZstdApi"/> a zstd user gets: the machine's libzstd when it loads, else the ZstdSharp port. The
/// one place that choice is made, for qcow2 clusters and zstd streams alike.
/// </summary>
internal static class ZstdApis
{
    /// <param name="preferNative">false gives ZstdSharp even where libzstd loads (tests the fallback).</param>
    public static IZstdApi Select(bool preferNative) =>
        preferNative && ZstdLibrary.TryLoad(out _) ? NativeZstdApi.Instance : ManagedZstdApi.Instance;
}
