namespace ImageBuild.Engine.Block;

/// <summary>Which files an engine opens as images, and which files an image may name (backing files, data files).</summary>
public enum ImageFilePolicy
{
    /// <summary>qemu's behaviour: any file an image names is followed; devices are opened, FIFOs and sockets refused.</summary>
    Qemu,

    /// <summary>Only regular files are opened as images (recipes): never a device node, FIFO or socket.</summary>
    RegularFiles,

    /// <summary>
    /// Untrusted images: regular files only, and an image may name only files inside its own directory (after
    /// resolving symbolic links), so a hostile image cannot make us read /etc/shadow, /dev/urandom or a FIFO.
    /// </summary>
    Untrusted,
}
