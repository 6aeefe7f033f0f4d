namespace ImageBuild.Engine.Compression;

/// <summary>Which deflate implementation writes compressed clusters and grains.</summary>
public enum DeflateLibrary
{
    /// <summary>The machine's zlib (libz.so.1), the library qemu-img links: the same bytes as qemu-img writes.</summary>
    SystemZlib,

    /// <summary>The .NET runtime's zlib-ng: the same format and window, other bytes, 2.3-3.5 times as fast per core (with the retry at level 9 the default uses).</summary>
    RuntimeZlibNg,
}
