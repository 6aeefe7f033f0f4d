using ImageBuild.Filesystems.Trees;
namespace ImageBuild.Filesystems.Ext4;
public static class Ext4Writer
{
    public static Ext4Result Write(string path, long offset, long size, FileTree tree, Ext4Options options, string scratchDirectory, CancellationToken cancellation = default)
        => throw new IOException("LOCAL PLACEHOLDER");
}
