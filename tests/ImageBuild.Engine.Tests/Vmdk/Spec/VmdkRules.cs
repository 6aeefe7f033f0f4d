namespace ImageBuild.Engine.Tests.Vmdk.Spec;

/// <summary>
/// The rules the checker applies, each restated in one line from VMware's "Virtual Disk Format 5.0" technical note
/// (vmdk_50_technote), with the section it comes from. The ids are stable: tests name expected violations by id.
/// </summary>
public static class VmdkRules
{
    private const string Header = "Hosted Sparse Extent Header";
    private const string Tables = "Grain Directories and Grain Tables";
    private const string Layout = "Layout of a Hosted Sparse Extent";
    private const string DescHeader = "Descriptor File: Header";
    private const string Extents = "Descriptor File: Extent Descriptions";
    private const string Ddb = "Descriptor File: The Disk Database";
    private const string Stream = "Stream-Optimized Compressed Sparse Extents";

    // Sparse extent header
    public static readonly SpecRule Magic = new("H.magic", Header, "magicNumber is 0x564D444B (\"KDMV\")");
    public static readonly SpecRule Version = new("H.version", Header, "version is 1, or 2 when zeroed-grain GTEs are used, or 3 for a stream-optimized extent");
    public static readonly SpecRule NewlineFlag = new("H.flags.newline", Header, "flags bit 0 (valid new-line detection test) is set");
    public static readonly SpecRule NewlineChars = new("H.newline-chars", Header, "with flags bit 0, the check characters are '\\n', ' ', '\\r', '\\n'");
    public static readonly SpecRule UnknownFlags = new("H.flags.known", Header, "only flags bits 0, 1, 2, 16 and 17 are defined; others are 0");
    public static readonly SpecRule ZeroedGrainVersion = new("H.flags.zeroed-grain", Header, "flags bit 2 (zeroed-grain GTE) needs version 2 or later");
    public static readonly SpecRule GrainSize = new("H.grainSize", Header, "grainSize (sectors) is a power of 2 and at least 8 (4 KiB)");
    public static readonly SpecRule CapacityGrains = new("H.capacity", Header, "capacity (sectors) should be a multiple of grainSize");
    public static readonly SpecRule GtesPerGt = new("H.numGTEsPerGT", Header, "numGTEsPerGT is 512");
    public static readonly SpecRule Descriptor = new("H.descriptor", Header, "descriptorOffset/descriptorSize are both 0 or describe an area after the header, inside the file, before the grain directories");
    public static readonly SpecRule NotEmbedded = new("H.descriptor-not-embedded", Header, "when the descriptor is not embedded, every extent of the disk has descriptorOffset 0");
    public static readonly SpecRule GdOrder = new("H.gd-order", Layout, "with flags bit 1 the redundant directory (rgdOffset) is set and precedes the directory (gdOffset); both follow the descriptor");
    public static readonly SpecRule Overhead = new("H.overHead", Header, "overHead is a multiple of grainSize and covers the header, descriptor and (non-stream) directories and tables");
    public static readonly SpecRule Compression = new("H.compressAlgorithm", Header, "compressAlgorithm is 0 (none) or 1 (deflate); flags bit 16 (compressed grains) goes with 1");
    public static readonly SpecRule Unclean = new("H.uncleanShutdown", Header, "uncleanShutdown is 0 in a closed extent");

    // Grain directory and tables
    public static readonly SpecRule GdInFile = new("G.gd-in-file", Tables, "the grain directory and every grain table it points to lie inside the file, after the header");
    public static readonly SpecRule GteInFile = new("G.gte-in-file", Tables, "every allocated GTE points at a grain inside the file past overHead (1 only as a zeroed grain with flags bit 2)");
    public static readonly SpecRule SharedGrain = new("G.gte-unique", Tables, "no two GTEs point at the same grain");
    public static readonly SpecRule Redundant = new("G.redundant-copy", Tables, "the redundant directory's tables map the same grains as the directory's");

    // Descriptor
    public static readonly SpecRule FirstLine = new("D.first-line", DescHeader, "the descriptor's first line is \"# Disk DescriptorFile\"");
    public static readonly SpecRule DescVersion = new("D.version", DescHeader, "version=1");
    public static readonly SpecRule Cid = new("D.CID", DescHeader, "CID is a 32-bit content id written as 8 hex digits");
    public static readonly SpecRule ParentCid = new("D.parentCID", DescHeader, "parentCID is ffffffff when the disk has no parent (no parentFileNameHint)");
    public static readonly SpecRule CreateType = new("D.createType", DescHeader, "createType is one of the spec's disk types (monolithicSparse, vmfsSparse, monolithicFlat, vmfs, twoGbMaxExtentSparse, twoGbMaxExtentFlat, fullDevice, vmfsRaw, partitionedDevice, vmfsRawDeviceMap, vmfsPassthroughRawDeviceMap, streamOptimized)");
    public static readonly SpecRule CreateTypeMatches = new("D.createType-extents", DescHeader, "the extents are of the kind createType names (sparse/flat, one extent for monolithic and stream, at most 2 GiB each for twoGbMaxExtent)");
    public static readonly SpecRule ExtentGrammar = new("D.extent-line", Extents, "an extent line is: RW|RDONLY|NOACCESS <sectors> FLAT|SPARSE|ZERO|VMFS|VMFSSPARSE|VMFSRDM|VMFSRAW \"<file>\" [offset, FLAT only]");
    public static readonly SpecRule ExtentSum = new("D.extent-sum", Extents, "the extents' sector counts add up to the disk capacity, and a sparse extent's header capacity equals its line's count");
    public static readonly SpecRule ExtentFile = new("D.extent-file", Extents, "every extent file exists and a flat file holds offset + sectors");
    public static readonly SpecRule HwVersion = new("D.ddb.virtualHWVersion", Ddb, "ddb.virtualHWVersion is present and numeric");
    public static readonly SpecRule AdapterType = new("D.ddb.adapterType", Ddb, "ddb.adapterType is ide, buslogic, lsilogic or legacyESX");
    public static readonly SpecRule Geometry = new("D.ddb.geometry", Ddb, "ddb.geometry: ide 16 heads/63 sectors; SCSI <1 GiB 64/32, <2 GiB 128/32, else 255/63; cylinders = capacity / (heads*sectors), ide at most 16383");
    public static readonly SpecRule SingleDescriptor = new("D.single", DescHeader, "there is exactly one descriptor (one \"# Disk DescriptorFile\"), NUL-padded to descriptorSize when embedded");

    // Stream-optimized
    public static readonly SpecRule StreamVersion = new("S.version-flags", Stream, "a stream-optimized extent has version 3 and flags bits 16 (compressed) and 17 (markers)");
    public static readonly SpecRule StreamCompress = new("S.compressAlgorithm", Stream, "a stream-optimized extent has compressAlgorithm 1 (deflate)");
    public static readonly SpecRule StreamCreateType = new("S.createType", Stream, "a stream-optimized extent's descriptor says createType=\"streamOptimized\"");
    public static readonly SpecRule GrainMarker = new("S.grain-marker", Stream, "a grain marker's LBA is grain-aligned and inside the disk, its size is > 0 and its data fits in the file; marker+data is padded to a sector");
    public static readonly SpecRule GrainDeflate = new("S.grain-deflate", Stream, "grain data is deflate (zlib) that inflates to exactly one grain, shorter only for the last grain at the disk's end");
    public static readonly SpecRule GrainOrder = new("S.grain-order", Stream, "grains are written in ascending LBA order");
    public static readonly SpecRule MetadataMarker = new("S.metadata-marker", Stream, "a metadata marker has size 0, a type 0-3 (EOS, GT, GD, footer) and numSectors matching what follows (GT: numGTEsPerGT*4 bytes, GD: the directory, footer: 1)");
    public static readonly SpecRule Footer = new("S.footer", Stream, "with gdOffset = GD_AT_END the file ends with a footer marker, a footer (a header copy with the real gdOffset) and an end-of-stream marker");
    public static readonly SpecRule EndOfStream = new("S.eos", Stream, "the stream ends with an end-of-stream marker (a zero sector)");
    public static readonly SpecRule StreamGte = new("S.gte-marker", Stream, "each GTE of a stream points at a grain marker carrying that GTE's LBA");

    public static IReadOnlyList<SpecRule> All { get; } =
    [
        Magic, Version, NewlineFlag, NewlineChars, UnknownFlags, ZeroedGrainVersion, GrainSize, CapacityGrains, GtesPerGt, Descriptor, NotEmbedded, GdOrder,
        Overhead, Compression, Unclean, GdInFile, GteInFile, SharedGrain, Redundant, FirstLine, DescVersion, Cid, ParentCid,
        CreateType, CreateTypeMatches, ExtentGrammar, ExtentSum, ExtentFile, HwVersion, AdapterType, Geometry, SingleDescriptor,
        StreamVersion, StreamCompress, StreamCreateType, GrainMarker, GrainDeflate, GrainOrder, MetadataMarker, Footer,
        EndOfStream, StreamGte,
    ];
}
