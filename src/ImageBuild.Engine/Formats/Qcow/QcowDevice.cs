using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Compression;
using ImageBuild.Engine.Crypto;
using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Qcow;

/// <summary>
/// An opened qcow (version 1) image, as qemu's block/qcow.c reads it: a header, an L1 table of L2 table offsets,
/// L2 tables of cluster offsets (or compressed streams), an optional backing file. There are no refcounts: space
/// is always taken at the end of the file. Writes are in <see cref="QcowDevice"/>'s Write part.
/// </summary>
public sealed partial class QcowDevice : BlockDevice
{
    private readonly HostFile _file;
    private readonly int _clusterBits;
    private readonly int _clusterSize;
    private readonly int _l2Bits;
    private readonly long _virtualSize;
    private readonly long _l1Offset;
    private readonly ulong[] _l1;
    private readonly QcowL2Cache _l2Cache;
    private readonly bool _encrypted;

    /// <summary>The AES cipher of an encrypted image opened for data (null: not encrypted, or opened for info).</summary>
    private readonly QcowAesCipher? _cipher;
    private readonly DeflateClusterCompressor _codec = new();

    /// <summary>qemu's cluster_cache: the last decompressed cluster and the host offset of its stream (-1: none).</summary>
    private readonly byte[] _clusterCache;
    private long _clusterCacheOffset = -1;

    internal QcowDevice(OpenRequest request) : base(request.Filename, !request.Writable)
    {
        _file = request.File;
        // Like qemu's file protocol, a file shorter than the header reads as zeros past its end, so the field checks
        // come first and fail with qemu's words; what is left of a short file is refused below.
        var raw = new byte[QcowHeader.Length];
        _file.Read(0, raw);
        var header = QcowHeader.Read(raw);
        header.Validate();
        _encrypted = header.CryptMethod == QcowHeader.CryptAes;
        _cipher = QcowEncryption.Open(request, _encrypted);
        _clusterBits = header.ClusterBits;
        _clusterSize = 1 << _clusterBits;
        _l2Bits = header.L2Bits;
        _virtualSize = (long)(header.Size / Sectors.Size * Sectors.Size);
        int l1Entries = header.L1Entries();

        long fileLength = _file.Length;
        if (fileLength < QcowHeader.Length)
            throw new ImageCorruptException($"'{Filename}': file is shorter than the qcow header ({fileLength} bytes)");
        _l1Offset = CheckInsideFile(header.L1TableOffset, (long)l1Entries * sizeof(ulong), "L1 table", fileLength);
        _l1 = ReadL1(l1Entries);
        _l2Cache = new QcowL2Cache(_file, _l2Bits);
        _clusterCache = new byte[_clusterSize];

        if (header.BackingFileOffset != 0)
            BackingFilename = ReadBackingName(header, fileLength);
    }

    public override string FormatName => "qcow";

    public override HostFile File => _file;

    public override long VirtualSize => _virtualSize;

    public override int ClusterSize => _clusterSize;

    public override bool SupportsBacking => true;

    /// <summary>bdrv_has_zero_init_1: a new image reads as zeros.</summary>
    public override bool HasZeroInit => true;

    public override bool IsEncrypted => _encrypted;

    /// <summary>qemu's qcow_refresh_limits: every request is whole 512-byte sectors.</summary>
    protected override int RequestAlignment => Sectors.Size;

    private int L2Entries => 1 << _l2Bits;

    /// <summary>Checks that [offset, offset+length) lies inside the file; returns the offset.</summary>
    private long CheckInsideFile(ulong offset, long length, string what, long fileLength)
    {
        if (offset > (ulong)fileLength || length > fileLength - (long)offset)
            throw new ImageCorruptException($"'{Filename}': {what} at offset {offset} ({length} bytes) lies past the end of the file ({fileLength} bytes)");
        return (long)offset;
    }

    /// <summary>
    /// The L1 table (8 bytes per 2 MiB of guest with 4 KiB clusters: 4 MiB per TiB, held whole as qemu does), read
    /// straight into its array and byte-swapped in place, so opening a large image costs the table once, not twice.
    /// </summary>
    private ulong[] ReadL1(int entries)
    {
        var l1 = new ulong[entries];
        _file.Read(_l1Offset, MemoryMarshal.AsBytes(l1.AsSpan()));
        if (BitConverter.IsLittleEndian)
            BinaryPrimitives.ReverseEndianness(l1, l1);
        return l1;
    }

    /// <summary>
    /// The backing file name: at most 1023 bytes (qemu's limit), read as a C string (it ends at the first NUL; an
    /// empty name means no backing file).
    /// </summary>
    private string? ReadBackingName(QcowHeader header, long fileLength)
    {
        uint len = header.BackingFileSize;
        if (len > 1023)
            throw new ImageException("Backing file name too long");
        if (len == 0)
        {
            // Nothing to read, wherever it is; qemu's block layer still refuses an offset past its largest one.
            if (header.BackingFileOffset > BlockLimits.MaxLength)
                throw new ImageException($"Could not open '{Filename}': Input/output error") { Errno = ClusterCompressor.Eio };
            return null;
        }
        long offset = CheckInsideFile(header.BackingFileOffset, len, "backing file name", fileLength);
        var name = new byte[len];
        _file.Read(offset, name);
        int nul = Array.IndexOf(name, (byte)0);
        string s = System.Text.Encoding.UTF8.GetString(name, 0, nul < 0 ? name.Length : nul);
        return s.Length == 0 ? null : s;
    }

    /// <summary>What a run of guest clusters is: one kind, and for normal clusters contiguous on the host.</summary>
    private readonly record struct Run(QcowL2Entry First, long Length, long HostOffset);

    /// <summary>
    /// The run starting at guest <paramref name="offset"/> (at most <paramref name="maxLength"/> bytes, within one
    /// L2 table or a stretch of empty L1 entries). Compressed clusters are merged only when
    /// <paramref name="mergeCompressed"/> (block status); reads decompress them one at a time.
    /// </summary>
    private Run Map(long offset, long maxLength, bool mergeCompressed)
    {
        long ci = offset >> _clusterBits;
        int inCluster = (int)(offset & (_clusterSize - 1));
        long l1Index = ci >> _l2Bits;
        int l2Index = (int)(ci & (L2Entries - 1));
        int shift = _clusterBits + _l2Bits;
        if (_l1[l1Index] == 0)
        {
            long end = l1Index + 1;
            while (end < _l1.Length && _l1[end] == 0 && (end << shift) - offset < maxLength)
                end++;
            return new Run(default, Math.Min(maxLength, (end << shift) - offset), 0);
        }
        var table = _l2Cache.Get((long)_l1[l1Index], l1Index);
        var first = new QcowL2Entry(table[l2Index]);
        long length = _clusterSize - inCluster;
        for (int i = l2Index + 1; length < maxLength && i < table.Length; i++)
        {
            var next = new QcowL2Entry(table[i]);
            bool same = first.IsUnallocated ? next.IsUnallocated
                : first.IsCompressed ? mergeCompressed && next.IsCompressed
                : next.IsNormal && next.HostOffset == first.HostOffset + (ulong)(i - l2Index) * (ulong)_clusterSize;
            if (!same) break;
            length += _clusterSize;
        }
        long host = first.IsNormal ? (long)first.HostOffset + inCluster : 0;
        return new Run(first, Math.Min(length, maxLength), host);
    }

    protected override void ReadCore(long offset, Span<byte> dest)
    {
        if (_encrypted && _cipher is null)
            throw NoKey();
        while (!dest.IsEmpty)
        {
            var run = Map(offset, dest.Length, mergeCompressed: false);
            var part = dest[..(int)run.Length];
            if (run.First.IsUnallocated)
            {
                ReadBacking(offset, part);
            }
            else if (run.First.IsCompressed)
            {
                Decompress(run.First);
                _clusterCache.AsSpan((int)(offset & (_clusterSize - 1)), part.Length).CopyTo(part);
            }
            else
            {
                CheckDataCluster(run.First.HostOffset, run.HostOffset, part.Length);
                _file.Read(run.HostOffset, part);
                _cipher?.Decrypt((ulong)offset / Sectors.Size, part); // guest sectors, as qemu's qcow_co_preadv
            }
            offset += part.Length;
            dest = dest[part.Length..];
        }
    }

    /// <summary>
    /// qemu fails a normal cluster whose host offset is not sector-aligned, or a request reaching past the largest
    /// offset its block layer allows, with EIO; a cluster merely past the end of the file reads as zeros.
    /// </summary>
    private void CheckDataCluster(ulong clusterOffset, long requestOffset, long length)
    {
        if ((clusterOffset & (Sectors.Size - 1)) != 0)
            throw new ImageCorruptException($"'{Filename}': data cluster at host offset {AltHexOf(clusterOffset)} is not sector-aligned: Input/output error") { Errno = ClusterCompressor.Eio };
        if (requestOffset > BlockLimits.MaxLength - length)
            throw new ImageCorruptException($"'{Filename}': data cluster at host offset {AltHexOf(clusterOffset)} lies beyond the largest file offset: Input/output error") { Errno = ClusterCompressor.Eio };
    }

    /// <summary>qemu's decompress_cluster: fills the cluster cache with the stream the entry names (cached by host offset).</summary>
    private void Decompress(QcowL2Entry entry)
    {
        long coffset = (long)entry.CompressedOffset(_clusterBits);
        if (_clusterCacheOffset == coffset)
            return;
        _clusterCacheOffset = -1;
        long fileLength = _file.Length;
        if (coffset >= fileLength)
            throw new ImageCorruptException($"'{Filename}': compressed cluster at host offset {AltHexOf((ulong)coffset)} lies past the end of the file ({fileLength} bytes): Input/output error") { Errno = ClusterCompressor.Eio };
        var stream = new byte[entry.CompressedSize(_clusterBits)];
        _file.Read(coffset, stream); // a last, short stream reads zeros past the end of the file, as in qemu
        if (!_codec.TryDecompress(stream, _clusterCache))
            throw new ImageCorruptException($"'{Filename}': could not decompress the cluster at host offset {AltHexOf((ulong)coffset)}: Input/output error") { Errno = ClusterCompressor.Eio };
        _clusterCacheOffset = coffset;
    }

    /// <summary>
    /// qcow_co_block_status: unallocated (the backing file decides), data at a host offset, or data without one
    /// (compressed, or encrypted).
    /// </summary>
    public override DriverStatus GetDriverStatus(long offset, long length)
    {
        var run = Map(offset, length, mergeCompressed: true);
        if (run.First.IsUnallocated)
            return DriverStatus.Unallocated(run.Length);
        if (run.First.IsCompressed || _encrypted)
            return new DriverStatus(run.Length, BlockStatusFlags.Data);
        return new DriverStatus(run.Length, BlockStatusFlags.Data | BlockStatusFlags.OffsetValid, run.HostOffset, _file);
    }

    /// <summary>An AES image opened for metadata only has no key: its data is never returned as it is stored.</summary>
    private ImageException NoKey() => new(QcowAesCipher.KeySecretRequired);

    private static string AltHexOf(ulong value) => $"0x{value:x}";

    protected override void Dispose(bool disposing)
    {
        if (!disposing)
            return;
        _cipher?.Dispose();
        _file.Dispose();
    }
}
