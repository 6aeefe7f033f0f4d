using System.Buffers;
using System.Buffers.Binary;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Compression;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>An opened qcow2 image: mapping (L1/L2), refcounts, reads, writes and block status.</summary>
public sealed partial class Qcow2Device : BlockDevice, IPersistentBitmaps
{
    /// <summary>qemu's QCOW_MAX_L1_SIZE.</summary>
    internal const long MaxL1Bytes = 32L << 20;
    private const int CacheBudget = 4 << 20;

    private readonly HostFile _file;
    private readonly HostFile _dataFile;
    private readonly bool _ownsDataFile;
    private readonly bool _hasDataFile;
    internal readonly Qcow2Header Header;
    internal readonly int ClusterBits;
    internal readonly int L2Bits; // log2(entries per L2 table)
    internal readonly int SubclusterBits;
    internal readonly bool Extended;
    internal ulong[] L1;
    internal readonly Qcow2Refcounts Refcounts;
    internal readonly MetadataCache L2Cache;
    internal readonly List<HeaderExtension> UnknownExtensions = [];
    internal readonly List<SnapshotTableEntry> SnapshotTable;
    internal readonly List<BitmapDirectoryEntry> Bitmaps = [];
    internal (ulong Offset, ulong Size, uint Count)? BitmapExtension;
    internal string? DataFileName;
    private long _decompressedHost = -1;
    private byte[]? _decompressed;
    /// <summary>The compression_type's codec (the same one compressed writes use), created on first use.</summary>
    private ClusterCompressor? _codec;
    private bool _metadataPreallocChecked;
    private bool _metadataPrealloc;
    private bool _dirtySetByUs;

    /// <summary>Opened with qemu's BDRV_O_UNMAP: discard requests reach the file.</summary>
    private readonly bool _unmap;

    /// <summary>Set while clusters are freed whose discard type passes through: their host clusters are punched.</summary>
    private bool _discardFreed;
    private readonly ImageContext _context;

    /// <param name="forCheck">Opened by check (qemu's BDRV_O_CHECK): a corrupt or dirty image may be opened read-write, for repair.</param>
    /// <param name="noIo">Opened for metadata only (qemu's BDRV_O_NO_IO, as info opens): the data file rules are not applied.</param>
    /// <summary>The qcow2 file and, when the image has one, its external data file (named as qemu opens it).</summary>
    public override IReadOnlyList<string> HostFileNames =>
        _hasDataFile && DataFileName is not null ? [_file.Path, _context.FromWorkingDirectory(DataFileName)] : [_file.Path];

    internal Qcow2Device(OpenRequest request)
        : this(request.Filename, request.File, !request.Writable, request.Context, request.ForCheck, request.NoIo, request) { }

    internal Qcow2Device(string filename, HostFile file, bool readOnly, ImageContext context, bool forCheck = false, bool noIo = false, OpenRequest? request = null) : base(filename, readOnly)
    {
        _file = file;
        _context = context;
        long fileLength = file.Length;
        // Like qemu's file protocol, bytes past the end of a short file read as zeros, so a truncated header
        // fails on the same field check (and with the same message) as in qemu.
        var first = new byte[Math.Max(Math.Min(fileLength, 1 << Qcow2Header.MaxClusterBits), Qcow2Header.V3Length)];
        file.Read(0, first);
        Header = Qcow2Header.Parse(first, filename);
        ClusterBits = Header.ClusterBits;
        int cs = 1 << ClusterBits;
        if (first.Length < Math.Min(cs, 112) && first.Length < Header.HeaderLength)
            throw new ImageCorruptException($"'{filename}': file is shorter than the qcow2 header");

        ulong unknown = Header.IncompatibleFeatures & ~Qcow2Header.IncompatKnown;
        var headerCluster = new byte[cs];
        first.AsSpan(0, Math.Min(first.Length, cs)).CopyTo(headerCluster);
        int extEnd = Header.BackingFileOffset > 0 && Header.BackingFileOffset < (ulong)cs ? (int)Header.BackingFileOffset : cs;
        byte[]? featureTable = null;
        string? backingFormat = null;
        foreach (var ext in HeaderExtension.ReadAll(headerCluster, (int)Header.HeaderLength, extEnd, filename))
        {
            switch (ext.Type)
            {
                case HeaderExtension.BackingFormat:
                    if (ext.Data.Length >= 16)
                        throw new ImageException($"ERROR: ext_backing_format: len={ext.Data.Length} too large (>=16)");
                    backingFormat = CString(ext.Data);
                    break;
                case HeaderExtension.FeatureTable:
                    featureTable = ext.Data;
                    break;
                case HeaderExtension.CryptoHeader:
                    if (ext.Data.Length != 16)
                        throw new ImageException($"CRYPTO header extension size {ext.Data.Length}, but expected size 16");
                    CryptoHeader = (BinaryPrimitives.ReadUInt64BigEndian(ext.Data), BinaryPrimitives.ReadUInt64BigEndian(ext.Data.AsSpan(8)));
                    break;
                case HeaderExtension.Bitmaps:
                    BitmapExtension = ReadBitmapsExtension(ext.Data);
                    break;
                case HeaderExtension.DataFile:
                    DataFileName = CString(ext.Data);
                    break;
                default:
                    UnknownExtensions.Add(ext);
                    break;
            }
        }
        if (unknown != 0)
            throw new ImageException("Unsupported qcow2 feature(s): " + DescribeUnknown(unknown, featureTable));
        if ((Header.IncompatibleFeatures & Qcow2Header.IncompatCorrupt) != 0 && !readOnly && !forCheck)
            throw new ImageException("qcow2: Image is corrupt; cannot be opened read/write");
        if (Header.RefcountOrder > 6)
            throw new ImageException("Reference count entry width too large; may not exceed 64 bits");
        if ((Header.IncompatibleFeatures & Qcow2Header.IncompatCompression) != 0 ? Header.CompressionType == 0 : Header.CompressionType != 0)
            throw new ImageException(Header.CompressionType != 0
                ? $"compression_type field is {Header.CompressionType}, but incompatible bit for compression type is not set"
                : "Compression type incompatible feature bit must not be set when compression type is zlib");
        if (Header.CompressionType > 1)
            throw new ImageException($"qcow2: unknown compression type: {Header.CompressionType}");
        if (Header.CryptMethod > 2)
            throw new ImageException($"Unsupported encryption method {Header.CryptMethod}");
        if (Header.CryptMethod == 2 && CryptoHeader is null)
            throw new ImageException("Missing CRYPTO header for crypt method 2");
        OpenEncryption(request, noIo);

        Extended = (Header.IncompatibleFeatures & Qcow2Header.IncompatExtendedL2) != 0;
        // qemu: a subcluster (a 32nd of a cluster with extended L2 entries) is at least one 512-byte sector.
        if (Extended && ClusterBits - 5 < 9)
            throw new ImageException($"Unsupported subcluster size: {1 << (ClusterBits - 5)}");
        L2Bits = ClusterBits - (Extended ? 4 : 3);
        SubclusterBits = Extended ? ClusterBits - 5 : ClusterBits;

        // Backing file name.
        if (Header.BackingFileOffset != 0)
        {
            ulong len = Header.BackingFileSize;
            if (Header.BackingFileOffset > (ulong)cs)
                throw new ImageException("Invalid backing file offset");
            if (len > Math.Min(1023, (ulong)cs - Header.BackingFileOffset))
                throw new ImageException("Backing file name too long");
            // An empty name means no backing file (qemu keeps an empty string, which it treats as none).
            string name = CString(headerCluster.AsSpan((int)Header.BackingFileOffset, (int)len));
            if (name.Length > 0)
            {
                BackingFilename = name;
                BackingFormat = backingFormat;
            }
        }

        // L1 table.
        if (Header.L1Size > MaxL1Bytes / 8)
            throw new ImageException("Active L1 table too large");
        long l1Needed = L1EntriesFor((long)Math.Min(Header.Size, long.MaxValue / 2));
        if (Header.Size > (ulong)long.MaxValue / 2 || l1Needed > int.MaxValue)
            throw new ImageException("Image is too big");
        if (Header.L1Size < l1Needed)
            throw new ImageException("L1 table is too small");
        // qemu keeps the size in whole sectors (bs->total_sectors = size / 512): a tail that is not a whole sector
        // is not part of the disk, and a rewritten header stores the rounded size.
        Header.Size &= ~511UL;
        ValidateTable(Header.L1TableOffset, (long)Header.L1Size * 8, fileLength, "Active L1 table offset invalid", "L1 table");
        L1 = new ulong[Header.L1Size];
        if (Header.L1Size > 0)
        {
            var l1Bytes = new byte[Header.L1Size * 8];
            file.Read((long)Header.L1TableOffset, l1Bytes);
            for (int i = 0; i < L1.Length; i++)
                L1[i] = BinaryPrimitives.ReadUInt64BigEndian(l1Bytes.AsSpan(i * 8));
        }

        // Refcount table.
        if (Header.RefcountTableClusters > Qcow2Refcounts.MaxReftableBytes / cs)
            throw new ImageException("Reference count table too large");
        if (Header.RefcountTableClusters == 0 && !forCheck) // check opens it, to report and rebuild
            throw new ImageException("Image does not contain a reference count table");
        long rtBytes = (long)Header.RefcountTableClusters << ClusterBits;
        ValidateTable(Header.RefcountTableOffset, rtBytes, fileLength, "Reference count table offset invalid", "reference count table");
        var rt = new byte[rtBytes];
        file.Read((long)Header.RefcountTableOffset, rt);
        var table = new ulong[rtBytes / 8];
        for (int i = 0; i < table.Length; i++)
            table[i] = BinaryPrimitives.ReadUInt64BigEndian(rt.AsSpan(i * 8));
        Refcounts = new Qcow2Refcounts(file, ClusterBits, (int)Header.RefcountOrder, table, (long)Header.RefcountTableOffset,
            Math.Max(4, (CacheBudget / 4) >> ClusterBits));
        L2Cache = new MetadataCache(file, cs, Math.Max(4, CacheBudget >> ClusterBits));
        // Ordering (qemu's cache dependencies): refcounts and guest data are durable before an L2 table that
        // points at them is written, so a crash at any point leaves at worst leaked clusters.
        L2Cache.BeforeWriteback = () =>
        {
            Refcounts.Cache.Flush();
            Barrier();
        };
        L2Cache.BeforeEntryWrite = off => EnsureNoOverlap(OverlapActiveL2, off, cs);
        Refcounts.Cache.BeforeEntryWrite = off => EnsureNoOverlap(OverlapRefcountBlock, off, cs);
        Refcounts.BeforeTableWrite = L2Cache.Flush;
        Refcounts.TableMoved = WriteReftablePointer;
        _unmap = request?.Options?.Unmap ?? false;
        Refcounts.ClusterFreed = off =>
        {
            if (_discardFreed)
                _file.ZeroRange(off, cs, deallocate: true);
            L2Cache.Discard(off);
            if (_decompressedHost >> ClusterBits == off >> ClusterBits) _decompressedHost = -1;
            _snapshotDiscards?.Add(off);
        };

        // Snapshots: the table pointer is validated even when there are none. Opened for check (qemu's
        // BDRV_O_CHECK), the table is left to check, which reports (and with -r all repairs) what is wrong with it.
        SnapshotTable = [];
        if (!forCheck)
        {
            if (SnapshotTablePointerError("Snapshot table") is { } bad)
                throw new ImageException(bad.Message);
            ValidateTable(Header.SnapshotsOffset, 40L * Header.NbSnapshots, fileLength, "Snapshot table offset invalid", "snapshot table");
            if (Header.NbSnapshots > 0)
            {
                SnapshotTable.AddRange(SnapshotTableEntry.ReadAll(file, (long)Header.SnapshotsOffset, Header.NbSnapshots, filename, out long bytes));
                _snapshotTableBytes = bytes;
            }
        }

        // Bitmaps (listed in info; checked by check).
        if (BitmapExtension is { } bm && Header.Version >= 3 && (Header.AutoclearFeatures & Qcow2Header.AutoclearBitmaps) != 0)
        {
            if (bm.Size == 0)
                throw new ImageException("Requested bitmap directory size is zero");
            ValidateTable(bm.Offset, (long)bm.Size, fileLength, "bitmaps_ext: invalid bitmap directory offset", "bitmap directory");
            var dir = new byte[bm.Size];
            file.Read((long)bm.Offset, dir);
            Bitmaps.AddRange(BitmapDirectoryEntry.Load(dir, bm.Count, ClusterBits, (long)Header.Size));
            ValidateBitmapsForLoad();
        }
        else if (BitmapExtension is not null)
        {
            // qcow2_read_extensions: bitmaps a program without bitmap support may have invalidated are dropped
            // (their clusters show up as leaks) and the extension is not written back.
            context.Warn("warning: " + (Header.Version < 3
                ? "This qcow2 v2 image contains bitmaps, but they may have been modified by a program without persistent bitmap support; so now they must all be considered inconsistent"
                : "a program lacking bitmap support modified this file, so all bitmaps are now considered inconsistent") +
                "\nSome clusters may be leaked, run 'imagebuild check -r' on the image file to fix.");
            BitmapExtension = null;
        }

        // External data file.
        _hasDataFile = (Header.IncompatibleFeatures & Qcow2Header.IncompatDataFile) != 0;
        if (_hasDataFile && noIo)
        {
            // A metadata-only open (info) never opens the data file, so that info can vet an untrusted image
            // without touching what it names (qemu's fix for CVE-2024-4467, in Debian's 7.2). Nothing reads
            // guest data through such an open. Under the untrusted policy the name is still vetted.
            if (DataFileName is not null)
                ImageFileGuard.CheckReference(context, filename, context.FromWorkingDirectory(DataFileName), "data file");
            _dataFile = file;
        }
        else if (_hasDataFile)
        {
            if (DataFileName is null)
                throw new ImageException("'data-file' is required for this image");
            // Unlike a backing file's, the data file's name is opened as it is: a relative name is relative to the
            // working directory, not to the image (qemu opens it as a plain child filename).
            string path = context.FromWorkingDirectory(DataFileName);
            _dataFile = (request ?? new OpenRequest(context, filename, file, !readOnly, Options: new OpenOptions { Writable = !readOnly, NoLocking = true }))
                .OpenChild(path, "data file", ChildRole.Data);
            _dataFile.FlushIgnored = file.FlushIgnored;
            _ownsDataFile = true;
        }
        else
        {
            if ((Header.AutoclearFeatures & Qcow2Header.AutoclearDataFileRaw) != 0 && !noIo)
                throw new ImageException("data-file-raw requires a data file");
            _dataFile = file;
        }

        Refcounts.FreeClusterIndex = 0;
        if (IsDirty && !readOnly)
        {
            if (!forCheck)
                RepairDirtyImage(context);
            // qemu clears the dirty bit whenever it closes a writable image cleanly (qcow2_inactivate).
            _dirtySetByUs = true;
        }
    }

    public override string FormatName => "qcow2";
    public override HostFile File => _file;
    internal HostFile DataFile => _dataFile;
    internal bool HasDataFile => _hasDataFile;
    public override long VirtualSize => (long)Header.Size;
    public override int ClusterSize => 1 << ClusterBits;
    public override bool SupportsBacking => true;
    public override bool IsDirty => (Header.IncompatibleFeatures & Qcow2Header.IncompatDirty) != 0;
    /// <summary>A new qcow2 image reads as zeros (an external data file is a fresh regular file).</summary>
    public override bool HasZeroInit => true;

    internal int ClusterSizeInt => 1 << ClusterBits;
    internal int L2Entries => 1 << L2Bits;
    internal int SubclustersPerCluster => Extended ? 32 : 1;
    internal int L2EntrySize => Extended ? 16 : 8;

    internal long L1EntriesFor(long size)
    {
        long clusters = (size + ClusterSizeInt - 1) >> ClusterBits;
        long perL2 = 1L << L2Bits;
        return (clusters + perL2 - 1) / perL2;
    }

    /// <summary>
    /// qcow2_validate_table's offset rule, which holds for empty tables too: cluster aligned, and the table's end
    /// representable. Past the end of the file is refused as well (stricter than qemu, see README).
    /// </summary>
    private void ValidateTable(ulong offset, long bytes, long fileLength, string invalidMessage, string what)
    {
        if ((offset & (ulong)(ClusterSizeInt - 1)) != 0 || offset > (ulong)long.MaxValue - (ulong)bytes)
            throw new ImageException(invalidMessage);
        if (bytes == 0) return;
        if ((long)offset + bytes > fileLength)
            throw new ImageCorruptException($"'{Filename}': {what} at offset {offset} ({bytes} bytes) lies past the end of the file ({fileLength} bytes)");
    }

    /// <summary>Names are C strings in qemu: everything from the first NUL on is ignored.</summary>
    private static string CString(ReadOnlySpan<byte> bytes)
    {
        int nul = bytes.IndexOf((byte)0);
        return System.Text.Encoding.UTF8.GetString(nul < 0 ? bytes : bytes[..nul]);
    }

    private static string DescribeUnknown(ulong mask, byte[]? table)
    {
        var parts = new List<string>();
        if (table is not null)
        {
            foreach (var (bit, name) in FeatureNameTable.Incompatible(table))
            {
                if (bit < 64 && (mask & (1UL << bit)) != 0)
                {
                    parts.Add(name);
                    mask &= ~(1UL << bit);
                }
            }
        }
        if (mask != 0)
            parts.Add($"Unknown incompatible feature: {mask:x}");
        return string.Join(", ", parts);
    }

    /// <summary>The snapshot list; none with an external data file, where qemu's list is "not supported".</summary>
    public override IReadOnlyList<SnapshotInfo> Snapshots => HasDataFile ? [] :
        SnapshotTable.Select(s => new SnapshotInfo(s.Id, s.Name, (long)s.VmStateSize, s.DateSec, s.DateNsec, s.VmClockNsec, s.Icount)).ToList();

    public override FormatSpecificInfo? GetSpecificInfo()
    {
        var d = new QapiObject();
        bool v3 = Header.Version >= 3;
        d.Add("compat", v3 ? "1.1" : "0.10");
        d.Add("compression-type", Header.CompressionType == 1 ? "zstd" : "zlib");
        if (v3)
            d.Add("lazy-refcounts", (Header.CompatibleFeatures & Qcow2Header.CompatLazyRefcounts) != 0);
        if (v3 && Bitmaps.Count > 0)
        {
            var list = new List<object>();
            foreach (var b in Bitmaps)
            {
                var flags = new List<object>();
                if ((b.Flags & BitmapDirectoryEntry.FlagInUse) != 0) flags.Add("in-use");
                if ((b.Flags & BitmapDirectoryEntry.FlagAuto) != 0) flags.Add("auto");
                list.Add(new QapiObject().Add("flags", flags).Add("name", b.Name).Add("granularity", 1L << b.GranularityBits));
            }
            d.Add("bitmaps", list);
        }
        d.Add("refcount-bits", 1L << (int)Header.RefcountOrder);
        if (EncryptInfo() is { } encrypt)
            d.Add("encrypt", encrypt);
        if (v3)
        {
            if (DataFileName is not null)
                d.Add("data-file", DataFileName);
            if (HasDataFile)
                d.Add("data-file-raw", (Header.AutoclearFeatures & Qcow2Header.AutoclearDataFileRaw) != 0);
            d.Add("corrupt", (Header.IncompatibleFeatures & Qcow2Header.IncompatCorrupt) != 0);
            d.Add("extended-l2", Extended);
        }
        return new FormatSpecificInfo("qcow2", d);
    }

    // ---------------------------------------------------------------- mapping

    /// <summary>A run of guest bytes with one subcluster type (qcow2_get_host_offset).</summary>
    internal readonly record struct Run(SubclusterType Type, long Length, long HostOffset, ulong Entry);

    internal long L2OffsetFor(long l1Index)
    {
        if (l1Index >= L1.Length) return 0;
        long l2 = (long)(L1[l1Index] & L2Entry.L1OffsetMask);
        if (l2 != 0 && (l2 & (ClusterSizeInt - 1)) != 0)
            throw new ImageCorruptException($"'{Filename}': L2 table offset {AltHex.Of(l2)} unaligned (L1 index: {AltHex.Of(l1Index)})");
        return l2;
    }

    internal byte[] LoadL2(long l2Offset, long l1Index)
    {
        if (l2Offset + ClusterSizeInt > _file.Length)
            throw new ImageCorruptException($"'{Filename}': L2 table at offset {AltHex.Of(l2Offset)} (L1 index {AltHex.Of(l1Index)}) lies past the end of the file");
        return L2Cache.Get(l2Offset);
    }

    internal ulong GetEntry(byte[] l2, int index) => BinaryPrimitives.ReadUInt64BigEndian(l2.AsSpan(index * L2EntrySize));
    internal ulong GetBitmap(byte[] l2, int index) => Extended ? BinaryPrimitives.ReadUInt64BigEndian(l2.AsSpan(index * 16 + 8)) : 0;

    internal void SetEntry(byte[] l2, int index, ulong entry, ulong bitmap)
    {
        BinaryPrimitives.WriteUInt64BigEndian(l2.AsSpan(index * L2EntrySize), entry);
        if (Extended)
            BinaryPrimitives.WriteUInt64BigEndian(l2.AsSpan(index * 16 + 8), bitmap);
    }

    /// <summary>Resolves the run starting at <paramref name="offset"/>, at most <paramref name="maxBytes"/> and one L2 table.</summary>
    internal Run Resolve(long offset, long maxBytes)
    {
        int cs = ClusterSizeInt;
        long inCluster = offset & (cs - 1);
        long ci = offset >> ClusterBits;
        int l2Index = (int)(ci & (L2Entries - 1));
        long l1Index = ci >> L2Bits;
        long needed = maxBytes + inCluster;
        long available = (long)(L2Entries - l2Index) << ClusterBits;
        if (needed > available) needed = available;

        long l2Offset = L2OffsetFor(l1Index);
        if (l2Offset == 0)
            return new Run(SubclusterType.UnallocatedPlain, needed - inCluster, 0, 0);
        var l2 = LoadL2(l2Offset, l1Index);
        int nbClusters = (int)((needed + cs - 1) >> ClusterBits);
        int scIndex = (int)(inCluster >> SubclusterBits);
        ulong entry = GetEntry(l2, l2Index);
        ulong bitmap = GetBitmap(l2, l2Index);
        var type = L2Entry.Type(entry, bitmap, scIndex, Extended, HasDataFile);
        long hostOffset = 0;
        int sc;
        if (type is SubclusterType.ZeroPlain or SubclusterType.ZeroAlloc && Header.Version < 3)
        {
            // Version 2 has no zero flag: qemu signals corruption (marking a writable image corrupt) and fails the read.
            string what = $"Zero cluster entry found in pre-v3 image (L2 offset: {AltHex.Of(l2Offset)}, L2 index: {AltHex.Of(l2Index)})";
            SignalCorruption(what);
            throw new ImageCorruptException($"'{Filename}': {what}: Input/output error") { Errno = 5 };
        }
        if (type == SubclusterType.Compressed)
        {
            if (HasDataFile)
                throw new ImageCorruptException($"'{Filename}': Compressed cluster entry found in image with external data file (L2 offset: {AltHex.Of(l2Offset)}, L2 index: {AltHex.Of(l2Index)})");
            sc = SubclustersPerCluster - scIndex;
        }
        else
        {
            if (type is SubclusterType.Normal or SubclusterType.ZeroAlloc or SubclusterType.UnallocatedAlloc)
            {
                hostOffset = (long)(entry & L2Entry.OffsetMask);
                if ((hostOffset & (cs - 1)) != 0)
                    throw new ImageCorruptException($"'{Filename}': Cluster allocation offset {AltHex.Of(hostOffset)} unaligned (L2 offset: {AltHex.Of(l2Offset)}, L2 index: {AltHex.Of(l2Index)})");
                if (HasDataFile && hostOffset != (ci << ClusterBits))
                    throw new ImageCorruptException($"'{Filename}': External data file host cluster offset {AltHex.Of(hostOffset)} does not match guest cluster offset: {AltHex.Of(ci << ClusterBits)}, or the guest cluster offset is unaligned");
            }
            else if (type == SubclusterType.Invalid)
                throw new ImageCorruptException($"'{Filename}': Invalid cluster entry found (L2 offset: {AltHex.Of(l2Offset)}, L2 index: {AltHex.Of(l2Index)})");
            sc = CountContiguous(l2, l2Index, nbClusters, scIndex, type, hostOffset);
        }
        long avail = ((long)sc + scIndex) << SubclusterBits;
        if (avail > needed) avail = needed;
        if (type is SubclusterType.Normal or SubclusterType.ZeroAlloc or SubclusterType.UnallocatedAlloc)
            hostOffset += inCluster;
        return new Run(type, avail - inCluster, hostOffset, entry);
    }

    private int CountContiguous(byte[] l2, int l2Index, int nbClusters, int scIndex, SubclusterType expected, long firstHost)
    {
        int count = 0;
        bool checkOffset = expected is SubclusterType.Normal or SubclusterType.ZeroAlloc or SubclusterType.UnallocatedAlloc;
        long expectedOffset = firstHost;
        for (int i = 0; i < nbClusters; i++)
        {
            int firstSc = i == 0 ? scIndex : 0;
            ulong entry = GetEntry(l2, l2Index + i);
            ulong bitmap = GetBitmap(l2, l2Index + i);
            var type = L2Entry.Type(entry, bitmap, firstSc, Extended, HasDataFile);
            if (i > 0)
            {
                if (type != expected) break;
                if (checkOffset)
                {
                    expectedOffset += ClusterSizeInt;
                    if (expectedOffset != (long)(entry & L2Entry.OffsetMask)) break;
                }
            }
            int n = L2Entry.RangeCount(type, bitmap, firstSc, SubclustersPerCluster);
            count += n;
            if (firstSc + n < SubclustersPerCluster) break;
        }
        return count;
    }

    // ---------------------------------------------------------------- reading

    protected override void ReadCore(long offset, Span<byte> dest)
    {
        // Whole compressed clusters are collected here, read together and inflated afterwards, straight into dest.
        List<PendingInflate>? inflate = null;
        Span<byte> whole = dest;
        int done = 0;
        while (dest.Length > 0)
        {
            var run = Resolve(offset, dest.Length);
            int n = (int)run.Length;
            var part = dest[..n];
            switch (run.Type)
            {
                case SubclusterType.Normal:
                    _dataFile.Read(run.HostOffset, part);
                    DecryptRead(offset, run.HostOffset, part);
                    break;
                case SubclusterType.ZeroPlain:
                case SubclusterType.ZeroAlloc:
                    part.Clear();
                    break;
                case SubclusterType.UnallocatedPlain:
                case SubclusterType.UnallocatedAlloc:
                    ReadBacking(offset, part);
                    break;
                case SubclusterType.Compressed:
                    {
                        if (n == ClusterSizeInt && (offset & (ClusterSizeInt - 1)) == 0)
                        {
                            (inflate ??= []).Add(new PendingInflate(CompressedDescriptor.Decode(run.Entry, ClusterBits), done));
                            break;
                        }
                        var cluster = Decompress(run.Entry);
                        cluster.AsSpan((int)(offset & (ClusterSizeInt - 1)), n).CopyTo(part);
                        break;
                    }
            }
            offset += n;
            done += n;
            dest = dest[n..];
        }
        if (inflate is not null)
            InflateClusters(inflate, whole);
    }

    /// <summary>A whole compressed cluster of a read: where it is stored and where in the caller's buffer it goes.</summary>
    private readonly record struct PendingInflate(CompressedDescriptor Descriptor, int DestOffset);

    /// <summary>Largest gap between compressed clusters still read with one request (qemu packs them back to back).</summary>
    private const int CompressedReadGap = 4096;

    /// <summary>Room for such gaps in one read's staging buffer, beyond the clusters' own stored bytes.</summary>
    private const int CompressedGapBudget = 256 << 10;

    /// <summary>
    /// Reads the stored bytes of the clusters, neighbours in the file with one request, then inflates them on every
    /// core. The staging buffer is rented for the call: the clusters' stored bytes plus a fixed allowance for gaps.
    /// </summary>
    private unsafe void InflateClusters(List<PendingInflate> clusters, Span<byte> whole)
    {
        long fileLength = _file.Length;
        var sources = new (int Start, int Length)[clusters.Count];
        long staged = 0;
        foreach (var c in clusters)
        {
            if (c.Descriptor.HostOffset >= fileLength)
                throw PastEndOfFile(c.Descriptor, fileLength);
            staged += c.Descriptor.Length;
        }
        if (staged > int.MaxValue / 2)
            throw new ImageException($"'{Filename}': read request too large");
        byte[] stage = ArrayPool<byte>.Shared.Rent((int)staged + CompressedGapBudget);
        try
        {
            // Invariant: bytes staged so far + the open group's extent + stored bytes of clusters not yet in a group
            // never exceed the buffer, so every cluster has room whatever the gaps before it took.
            int used = 0;
            long unplaced = staged;
            for (int i = 0; i < clusters.Count;)
            {
                // A group: following clusters that start within a small gap after the previous one's stored bytes.
                long start = clusters[i].Descriptor.HostOffset, end = start + clusters[i].Descriptor.Length;
                unplaced -= clusters[i].Descriptor.Length;
                int j = i + 1;
                for (; j < clusters.Count; j++)
                {
                    var d = clusters[j].Descriptor;
                    if (d.HostOffset < start || d.HostOffset > end + CompressedReadGap) break;
                    long newEnd = Math.Max(end, d.HostOffset + d.Length);
                    if (used + (newEnd - start) + (unplaced - d.Length) > stage.Length) break;
                    end = newEnd;
                    unplaced -= d.Length;
                }
                _file.Read(start, stage.AsSpan(used, (int)(end - start)));
                for (int k = i; k < j; k++)
                    sources[k] = (used + (int)(clusters[k].Descriptor.HostOffset - start), clusters[k].Descriptor.Length);
                used += (int)(end - start);
                i = j;
            }

            _codec ??= ClusterCompressor.Create((ClusterCompressionType)Header.CompressionType);
            var codec = _codec;
            int clusterSize = ClusterSizeInt;
            fixed (byte* pinned = whole)
            {
                nint origin = (nint)pinned; // a fixed local cannot be captured by the lambda
                string? failure = null;
                Parallel.For(0, clusters.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
                {
                    var (start, length) = sources[i];
                    if (!codec.TryDecompress(stage.AsSpan(start, length), new Span<byte>((byte*)(origin + clusters[i].DestOffset), clusterSize)))
                        Interlocked.CompareExchange(ref failure, $"'{Filename}': could not decompress the cluster at host offset 0x{clusters[i].Descriptor.HostOffset:x}: Input/output error", null);
                });
                if (failure is not null)
                    throw new ImageException(failure) { Errno = 5 };
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(stage);
        }
    }

    /// <summary>A compressed cluster's bytes as stored (qemu reads a last, unpadded one with zeros past the end of the file).</summary>
    private byte[] ReadCompressed(CompressedDescriptor d)
    {
        long fileLength = _file.Length;
        if (d.HostOffset >= fileLength)
            throw PastEndOfFile(d, fileLength);
        var src = new byte[d.Length];
        _file.Read(d.HostOffset, src);
        return src;
    }

    private ImageCorruptException PastEndOfFile(CompressedDescriptor d, long fileLength) =>
        new($"'{Filename}': compressed cluster at host offset 0x{d.HostOffset:x} lies past the end of the file ({fileLength} bytes): Input/output error");

    private byte[] Decompress(ulong entry)
    {
        var d = CompressedDescriptor.Decode(entry, ClusterBits);
        if (_decompressed is not null && _decompressedHost == d.HostOffset)
            return _decompressed;
        // qemu reads a compressed cluster whose sector count runs past the end of the file (qemu-io leaves the
        // last one unpadded) with the missing bytes as zeros; only data that starts past the end is an error.
        var src = ReadCompressed(d);
        _decompressed ??= new byte[ClusterSizeInt];
        _decompressedHost = -1;
        _codec ??= ClusterCompressor.Create((ClusterCompressionType)Header.CompressionType);
        if (!_codec.TryDecompress(src, _decompressed))
            throw new ImageException($"'{Filename}': could not decompress the cluster at host offset 0x{d.HostOffset:x}: Input/output error") { Errno = 5 };
        _decompressedHost = d.HostOffset;
        return _decompressed;
    }

    public override DriverStatus GetDriverStatus(long offset, long length)
    {
        var run = Resolve(offset, Math.Min(length, int.MaxValue));
        var flags = BlockStatusFlags.None;
        HostFile? hostFile = null;
        long host = 0;
        // qcow2_co_block_status: the host offset of encrypted data is not given (it holds ciphertext).
        if (!IsEncrypted && run.Type is SubclusterType.Normal or SubclusterType.ZeroAlloc or SubclusterType.UnallocatedAlloc)
        {
            flags |= BlockStatusFlags.OffsetValid;
            hostFile = _dataFile;
            host = run.HostOffset;
        }
        if (run.Type is SubclusterType.ZeroPlain or SubclusterType.ZeroAlloc)
            flags |= BlockStatusFlags.Zero;
        else if (run.Type is not (SubclusterType.UnallocatedPlain or SubclusterType.UnallocatedAlloc))
            flags |= BlockStatusFlags.Data;
        if ((flags & (BlockStatusFlags.Data | BlockStatusFlags.OffsetValid)) == (BlockStatusFlags.Data | BlockStatusFlags.OffsetValid) && MetadataPreallocated())
            flags |= BlockStatusFlags.Recurse;
        if (run.Type == SubclusterType.Compressed)
            flags |= BlockStatusFlags.Compressed;
        return new DriverStatus(run.Length, flags, host, hostFile);
    }

    /// <summary>qcow2_detect_metadata_preallocation: far more clusters referenced than the host has allocated.</summary>
    private bool MetadataPreallocated()
    {
        if (_metadataPreallocChecked) return _metadataPrealloc;
        _metadataPreallocChecked = true;
        long fileLength = _file.Length;
        long real = _file.AllocatedBytes;
        if (real < 0) return false;
        long realClusters = real >> ClusterBits;
        long threshold = Math.Max(realClusters * 10 / 9, realClusters + 2);
        long end = (fileLength + ClusterSizeInt - 1) >> ClusterBits;
        long count = 0;
        for (long i = 0; i < end && count < threshold; i++)
            if (Refcounts.GetRefcount(i) != 0) count++;
        _metadataPrealloc = count >= threshold;
        return _metadataPrealloc;
    }

    // ---------------------------------------------------------------- header

    /// <summary>qcow2_update_header: rewrites cluster 0 (header, extensions, feature table, backing name).</summary>
    internal void UpdateHeader()
    {
        var buf = new byte[ClusterSizeInt];
        Header.RefcountTableOffset = (ulong)Refcounts.TableOffset;
        Header.RefcountTableClusters = (uint)((long)Refcounts.TableEntries * 8 >> ClusterBits);
        Header.L1Size = (uint)L1.Length;
        Header.BackingFileOffset = 0;
        Header.BackingFileSize = 0;
        int pos = Header.Write(buf);
        foreach (var ext in BuildExtensions(BackingFormat, DataFileName, Header.Version >= 3 && ClusterSizeInt > 4096))
        {
            if (pos + ext.PaddedSize > buf.Length)
                throw new ImageException("Could not update qcow2 header: No space left on device");
            pos = ext.WriteTo(buf, pos);
        }
        if (pos + 8 > buf.Length)
            throw new ImageException("Could not update qcow2 header: No space left on device");
        pos += 8; // end marker (zeros)
        if (BackingFilename is { } name)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(name);
            if (buf.Length - pos < bytes.Length)
                throw new ImageException("Could not update qcow2 header: No space left on device");
            bytes.CopyTo(buf, pos);
            Header.BackingFileOffset = (ulong)pos;
            Header.BackingFileSize = (uint)bytes.Length;
            Header.Write(buf);
        }
        _file.Write(0, buf);
    }

    private IEnumerable<HeaderExtension> BuildExtensions(string? backingFormat, string? dataFile, bool featureTable)
    {
        if (BackingFilename is not null && backingFormat is not null)
            yield return new HeaderExtension(HeaderExtension.BackingFormat, System.Text.Encoding.UTF8.GetBytes(backingFormat));
        if (dataFile is not null && (Header.IncompatibleFeatures & Qcow2Header.IncompatDataFile) != 0)
            yield return new HeaderExtension(HeaderExtension.DataFile, System.Text.Encoding.UTF8.GetBytes(dataFile));
        // qemu's order: backing format, data file, then the full disk encryption header pointer.
        if (CryptoHeader is { } c)
        {
            var d = new byte[16];
            BinaryPrimitives.WriteUInt64BigEndian(d, c.Offset);
            BinaryPrimitives.WriteUInt64BigEndian(d.AsSpan(8), c.Length);
            yield return new HeaderExtension(HeaderExtension.CryptoHeader, d);
        }
        if (featureTable)
            yield return new HeaderExtension(HeaderExtension.FeatureTable, FeatureNameTable.Build());
        if (BitmapExtension is { } b && b.Count > 0)
        {
            var d = new byte[24];
            BinaryPrimitives.WriteUInt32BigEndian(d, b.Count);
            BinaryPrimitives.WriteUInt64BigEndian(d.AsSpan(8), b.Size);
            BinaryPrimitives.WriteUInt64BigEndian(d.AsSpan(16), b.Offset);
            yield return new HeaderExtension(HeaderExtension.Bitmaps, d);
        }
        foreach (var u in UnknownExtensions)
            yield return u;
    }

    internal void SetBacking(string? name, string? format)
    {
        BackingFilename = name;
        BackingFormat = name is null ? null : format;
    }

    private void WriteReftablePointer(long offset, int clusters)
    {
        Span<byte> d = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64BigEndian(d, (ulong)offset);
        BinaryPrimitives.WriteUInt32BigEndian(d[8..], (uint)clusters);
        _file.Write(48, d);
        Header.RefcountTableOffset = (ulong)offset;
        Header.RefcountTableClusters = (uint)clusters;
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        try
        {
            // After a fatal corruption event qemu drops the driver (bs->drv = NULL): nothing cached is written.
            if (!ReadOnly && !_halted)
            {
                try
                {
                    StoreBitmaps();
                }
                finally
                {
                    FlushMetadata(markClean: true);
                }
            }
        }
        finally
        {
            if (_ownsDataFile) _dataFile.Dispose();
            _file.Dispose();
            _crypto?.Dispose();
            _luks?.Dispose();
        }
    }
}
