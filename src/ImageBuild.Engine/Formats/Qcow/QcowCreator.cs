using System.Text;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Crypto;
using ImageBuild.Engine.Formats.File;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Qcow;

/// <summary>
/// Creates a qcow image as qemu's qcow_co_create_opts and qcow_co_create do, so the file is byte-identical: the
/// 48-byte header (mtime 0, as qemu writes it), the backing file name right after it, then the L1 table, 8-aligned,
/// written as whole zeroed sectors. Without a backing file clusters are 4 KiB with 512-entry L2 tables; with one,
/// 512-byte clusters (so that writes never copy unmodified sectors) with 4096-entry L2 tables.
/// Like qemu, the file is created (empty) before the encryption options and the size are checked, and is left
/// behind when they are refused. An AES image differs only in its crypt_method (the key's secret must exist).
/// </summary>
internal static class QcowCreator
{
    public static void Create(CreateRequest request)
    {
        var options = QcowCreateOptions.Parse(request.Options);
        string? prealloc = request.Options.GetString("preallocation");
        if (prealloc != "metadata")
            FileProtocol.ParsePreallocation(prealloc); // refused before the file exists
        using var file = HostFile.Create(request.Filename, request.Context.HostFaults);
        // The file protocol creates the file empty (the size option is qcow's), so its preallocation has nothing to do.
        FileProtocol.ParsePreallocation(prealloc);
        options.CheckEncryption();

        ulong size = ((ulong)request.Size + Sectors.Size - 1) & ~(ulong)(Sectors.Size - 1); // qemu rounds up silently
        if (size == 0)
            throw new ImageException("Image size is too small, cannot be zero length");
        options.CheckEncryptionFormat();

        // Any backing_file option, even vvfat's "fat:" that is not stored, makes qemu choose 512-byte clusters.
        bool backing = options.BackingFile is not null;
        byte clusterBits = (byte)(backing ? 9 : 12), l2Bits = (byte)(backing ? 12 : 9);
        byte[] name = options.StoredBackingFile is { } b ? Encoding.UTF8.GetBytes(b) : [];
        long headerSize = (QcowHeader.Length + name.Length + 7) & ~7L;
        int shift = clusterBits + l2Bits;
        ulong l1Entries = (size + (1UL << shift) - 1) >> shift;
        if (l1Entries > int.MaxValue / sizeof(ulong))
        {
            // qemu writes an image here that its own qcow_open refuses ("Image too large"), or for the largest sizes
            // loops writing its L1 table; this engine refuses to create it.
            throw new ImageException("Image too large") { Errno = SnapshotException.EFBIG };
        }
        if (options.Encrypted)
        {
            // qcrypto_block_create for the qcow format: the secret must exist (it is not used: there is no header).
            QcowAesCipher.FromSecret(request.Context.Secrets, options.KeySecret).Dispose();
        }

        var header = new QcowHeader
        {
            Size = size,
            ClusterBits = clusterBits,
            L2Bits = l2Bits,
            CryptMethod = options.Encrypted ? QcowHeader.CryptAes : QcowHeader.CryptNone,
            BackingFileOffset = options.StoredBackingFile is null ? 0UL : QcowHeader.Length,
            BackingFileSize = (uint)name.Length,
            L1TableOffset = (ulong)headerSize,
        };
        var start = new byte[QcowHeader.Length + name.Length];
        header.Write(start);
        name.CopyTo(start.AsSpan(QcowHeader.Length));
        file.Write(0, start);
        long l1Sectors = ((long)l1Entries * sizeof(ulong) + Sectors.Size - 1) / Sectors.Size;
        file.WriteZeros(headerSize, l1Sectors * Sectors.Size);
    }
}
