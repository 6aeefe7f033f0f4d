namespace ImageBuild.Filesystems.Ext4;

/// <summary>
/// The filesystem mke2fs made does not hold exactly the tree (an entry missing or extra, another kind, size or link
/// target, two entries on one inode, attributes the tree does not have). Fatal after a staged run; after a run straight
/// on the sources' own directory it sends the writer back to staging.
/// </summary>
internal sealed class TreeMismatchException(string message) : IOException(message);
