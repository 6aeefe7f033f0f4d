using System.Text;
using ImageBuild.Engine.Block;

namespace ImageBuild.Recipes.Cache;

/// <summary>
/// The content hash of an existing image used in place (an <c>image</c> step): the hashes of every file of the image
/// (<see cref="BlockDevice.HostFileNames"/>: an external data file too) and of its backing chain, in chain order, so
/// that a changed backing or data file changes what the image reads as.
/// Each member goes through its size/mtime stamp, so an unchanged chain is not read.
/// </summary>
public static class ExternalImage
{
    public static string ChainHash(ImageContext engine, string path, string? format, BuildState state, bool persistStamps)
    {
        var files = new List<string>();
        using (var top = ImageOpener.Open(engine, path, new OpenOptions { Format = format, NoIo = true, ForceShare = true }))
            for (BlockDevice? d = top; d is not null; d = d.Backing)
                foreach (string name in d.HostFileNames) // the image's own files: a qcow2 external data file too
                    files.Add(Path.GetFullPath(name));

        var hashes = new List<string>();
        foreach (string file in files)
        {
            var stamp = FileStamp.Current(file, state.GetFile(file), out _)
                ?? throw new IOException($"'{file}' vanished while it was hashed");
            if (persistStamps) state.SetFile(file, stamp);
            hashes.Add(stamp.Hash);
        }
        // A lone file hashes as itself (the same hash as when a step produced it); a chain hashes its members in order.
        if (hashes.Count == 1) return hashes[0];
        var text = new StringBuilder("imagebuild-image-chain/1\n");
        foreach (string h in hashes) text.Append(h).Append('\n');
        return ContentHasher.HashText(text.ToString());
    }
}
