using ImageBuild.Engine.Block;
using ImageBuild.Engine.Operations;

namespace ImageBuild.Tests.Shared;

/// <summary>Images that name files they should not (issue 12's untrusted images), made by our own create.</summary>
public static class HostileImages
{
    /// <summary>A 1 MiB qcow2 at <paramref name="path"/> naming <paramref name="backing"/> (as written, unchecked) as its raw backing file.</summary>
    public static string OverlayNaming(string path, string backing)
    {
        ImageCreator.Create(ImageContext.CreateDefault(), new CreateImageRequest
        {
            Filename = path, Format = "qcow2", Size = 1 << 20, BackingFile = backing, BackingFormat = "raw", BackingUnsafe = true,
        }, null);
        return path;
    }
}
