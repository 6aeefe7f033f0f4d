using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Qed;

/// <summary>
/// An opened QED image (qemu's BDRVQEDState): the header, the L1 table and the L2 table cache, lookups
/// (qed_find_cluster), reads and block status. Writes, the need-check bit and the image's life are in the other
/// parts of this class.
/// </summary>
public sealed partial class QedDevice : BlockDevice
{
    /// <summary>qemu's sizeof(bs->auto_backing_file) (PATH_MAX): a name this long or longer fails to read.</summary>
    private const int MaxBackingNameBytes = 4096;
    private const int CacheBudget = 4 << 20;

    private readonly HostFile _file;
    internal readonly QedHeader Header;
    internal readonly QedLayout Layout;
    internal readonly QedTableCache L1;
    internal readonly QedTableCache L2;

    /// <summary>s->file_size: the file length rounded down to whole clusters, where the next cluster is allocated.</summary>
    internal long FileSize;

    internal QedDevice(OpenRequest request) : base(request.Filename, !request.Writable)
    {
        _file = request.File;
        Span<byte> raw = stackalloc byte[QedHeader.Size];
        _file.Read(0, raw); // a short file reads zeros past its end, as qemu's file protocol does
        Header = QedHeader.Parse(raw);
        if (Header.MagicField != QedHeader.Magic)
            throw new ImageException("Image not in QED format");
        if ((Header.Features & ~QedHeader.KnownFeatures) != 0)
            throw new ImageException($"Unsupported QED features: {Header.Features & ~QedHeader.KnownFeatures:x}") { Errno = SnapshotException.ENOTSUP };
        if (!QedHeader.IsClusterSizeValid(Header.ClusterSize))
            throw Invalid("QED cluster size is invalid");
        long fileLength = _file.Length;
        FileSize = fileLength & ~(long)(Header.ClusterSize - 1);
        if (!QedHeader.IsTableSizeValid(Header.TableSize))
            throw Invalid("QED table size is invalid");
        if (!QedHeader.IsImageSizeValid(Header.ImageSize, Header.ClusterSize, Header.TableSize))
            throw Invalid("QED image size is invalid");
        Layout = new QedLayout(Header.ClusterSize, Header.TableSize, Header.HeaderSize);
        if (!Layout.IsValidTableOffset(Header.L1TableOffset, FileSize))
            throw Invalid("QED table offset is invalid");
        if (Header.HeaderSize > uint.MaxValue / Header.ClusterSize)
            throw Invalid("QED header size is too large");
        if (Header.Has(QedHeader.FeatureBackingFile))
            ReadBackingName();

        L1 = new QedTableCache(_file, Layout.TableBytes, CacheBudget);
        L2 = new QedTableCache(_file, Layout.TableBytes, CacheBudget);

        if (!ReadOnly)
        {
            // Unknown autoclear bits are knocked out by whoever opens the image read-write.
            if ((Header.AutoclearFeatures & ~QedHeader.KnownAutoclearFeatures) != 0)
            {
                Header.AutoclearFeatures &= QedHeader.KnownAutoclearFeatures;
                WriteHeader();
                _file.Flush();
            }
            // Not closed cleanly: checked, and what can be is repaired, before the image is used.
            if (Header.Has(QedHeader.FeatureNeedCheck) && !request.ForCheck)
                RepairOnOpen();
        }
        // qemu's block layer refuses a node longer than BDRV_MAX_LENGTH once the driver has opened it.
        if (Header.ImageSize > BlockLimits.MaxLength)
            throw new ImageException("Could not refresh total sector count: File too large") { Errno = SnapshotException.EFBIG };
        ClearNeedCheckAfterOpen();
    }

    private static ImageException Invalid(string message) => new(message) { Errno = SnapshotException.EINVAL };

    /// <summary>The backing name lies in the header clusters; qemu keeps it as a C string of at most 4095 bytes.</summary>
    private void ReadBackingName()
    {
        if ((ulong)Header.BackingFilenameOffset + Header.BackingFilenameSize > (ulong)Header.ClusterSize * Header.HeaderSize)
            throw Invalid("QED backing filename offset is invalid");
        if (Header.BackingFilenameSize >= MaxBackingNameBytes)
            throw Invalid("Failed to read backing filename");
        var bytes = new byte[Header.BackingFilenameSize];
        _file.Read(Header.BackingFilenameOffset, bytes);
        int nul = Array.IndexOf(bytes, (byte)0);
        string name = System.Text.Encoding.UTF8.GetString(bytes, 0, nul < 0 ? bytes.Length : nul);
        if (name.Length == 0)
            return; // qemu keeps an empty name, which means no backing file
        BackingFilename = name;
        if (Header.Has(QedHeader.FeatureBackingNoProbe))
            BackingFormat = "raw";
    }

    public override string FormatName => "qed";
    public override HostFile File => _file;
    public override long VirtualSize => (long)Header.ImageSize;
    public override int ClusterSize => (int)Header.ClusterSize;
    public override bool SupportsBacking => true;
    public override bool SupportsCheck => true;

    /// <summary>bdrv_has_zero_init_1.</summary>
    public override bool HasZeroInit => true;

    /// <summary>The need-check bit as the open image holds it (bdrv_qed_get_info's is_dirty).</summary>
    public override bool IsDirty => Header.Has(QedHeader.FeatureNeedCheck);

    /// <summary>qed reads and writes whole sectors (its requests are counted in sectors).</summary>
    protected override int RequestAlignment => 512;

    // ---------------------------------------------------------------- lookup

    /// <summary>What qed_find_cluster found for the start of a range.</summary>
    internal enum ClusterKind
    {
        /// <summary>QED_CLUSTER_FOUND: allocated clusters, contiguous in the file.</summary>
        Found,
        /// <summary>QED_CLUSTER_ZERO: zero clusters (L2 entry 1).</summary>
        Zero,
        /// <summary>QED_CLUSTER_L2: unallocated entries of an existing L2 table.</summary>
        MissingInL2,
        /// <summary>QED_CLUSTER_L1: no L2 table at all for this part of the image.</summary>
        MissingInL1,
    }

    /// <summary>A run of guest bytes with one kind; <paramref name="FileOffset"/> is the first cluster's (Found).</summary>
    internal readonly record struct ClusterRun(ClusterKind Kind, long Length, ulong FileOffset);

    /// <summary>
    /// qed_find_cluster: the run starting at <paramref name="pos"/>, at most <paramref name="len"/> bytes and never
    /// past the end of one L2 table. An L2 table or a first cluster offset that is not valid fails with EINVAL.
    /// </summary>
    internal ClusterRun FindCluster(long pos, long len)
    {
        len = Math.Min(len, ((pos >> Layout.L1Shift) + 1 << Layout.L1Shift) - pos);
        int l1Index = Layout.L1Index(pos);
        ulong l2Offset = L1.Get(Header.L1TableOffset, l1Index);
        if (l2Offset == 0)
            return new ClusterRun(ClusterKind.MissingInL1, len, 0);
        if (!Layout.IsValidTableOffset(l2Offset, FileSize))
            throw new ImageCorruptException($"'{Filename}': L2 table offset 0x{l2Offset:x} (L1 index {l1Index}) is invalid: Invalid argument")
            { Errno = SnapshotException.EINVAL };

        int index = Layout.L2Index(pos);
        long inCluster = Layout.OffsetIntoCluster(pos);
        int end = (int)Math.Min(Layout.TableEntries, index + Layout.ClustersFor(inCluster + len));
        ulong first = L2.Get(l2Offset, index);
        ulong last = first;
        int i = index + 1;
        for (; i < end; i++)
        {
            ulong e = L2.Get(l2Offset, i);
            if (last <= 1 ? e != last : e != last + Header.ClusterSize) break;
            last = e;
        }
        var kind = first switch
        {
            0 => ClusterKind.MissingInL2,
            1 => ClusterKind.Zero,
            _ => ClusterKind.Found,
        };
        if (kind == ClusterKind.Found && !Layout.IsValidClusterOffset(first, FileSize))
            throw new ImageCorruptException($"'{Filename}': cluster offset 0x{first:x} (L2 table at 0x{l2Offset:x}, index {index}) is invalid: Invalid argument")
            { Errno = SnapshotException.EINVAL };
        len = Math.Min(len, (long)(i - index) * Header.ClusterSize - inCluster);
        return new ClusterRun(kind, len, first);
    }

    // ---------------------------------------------------------------- reading

    protected override void ReadCore(long offset, Span<byte> dest)
    {
        while (!dest.IsEmpty)
        {
            var run = FindCluster(offset, dest.Length);
            var part = dest[..(int)run.Length];
            switch (run.Kind)
            {
                case ClusterKind.Found:
                    // A run may go on past the end of the file (only its first cluster is checked): zeros there.
                    _file.Read((long)run.FileOffset + Layout.OffsetIntoCluster(offset), part);
                    break;
                case ClusterKind.Zero:
                    part.Clear();
                    break;
                default:
                    ReadBacking(offset, part);
                    break;
            }
            offset += part.Length;
            dest = dest[part.Length..];
        }
    }

    /// <summary>bdrv_qed_co_block_status: data at its file offset, zero clusters, or nothing (backing or zeros).</summary>
    public override DriverStatus GetDriverStatus(long offset, long length)
    {
        var run = FindCluster(offset, length);
        return run.Kind switch
        {
            ClusterKind.Found => new DriverStatus(run.Length, BlockStatusFlags.Data | BlockStatusFlags.OffsetValid,
                (long)run.FileOffset + Layout.OffsetIntoCluster(offset), _file),
            ClusterKind.Zero => new DriverStatus(run.Length, BlockStatusFlags.Zero),
            _ => DriverStatus.Unallocated(run.Length),
        };
    }
}
