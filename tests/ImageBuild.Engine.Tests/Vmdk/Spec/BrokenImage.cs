using ImageBuild.Tests.Shared;
using H = ImageBuild.Engine.Tests.Vmdk.Spec.SparseExtentHeader;
using P = ImageBuild.Engine.Tests.Vmdk.Spec.ImagePatcher;

namespace ImageBuild.Engine.Tests.Vmdk.Spec;

/// <summary>The clean image a hand-broken case starts from.</summary>
public enum BrokenBase
{
    /// <summary>qemu-img convert to monolithicSparse (data, zeros, holes), CID fixed to 8 digits.</summary>
    Sparse,
    /// <summary>qemu-img create monolithicFlat: a descriptor file and its -flat extent, CID fixed to 8 digits.</summary>
    Flat,
    /// <summary>qemu-img convert to twoGbMaxExtentSparse: a descriptor file and one sparse extent, CID fixed to 8 digits, no embedded area.</summary>
    Split,
    /// <summary>A copy of the VMware-made talaloni/StreamOptimized.vmdk (GD at end, footer, EOS).</summary>
    Stream,
}

/// <summary>One hand-broken image: a clean base and one patch that must make <see cref="Rule"/> fire.</summary>
public sealed record BrokenImage(string Name, SpecRule Rule, BrokenBase Base, Action<string> Patch)
{
    public override string ToString() => Name;

    /// <summary>Makes the clean base in <paramref name="dir"/> and returns the path to check.</summary>
    public static string MakeBase(BrokenBase kind, string dir)
    {
        switch (kind)
        {
            case BrokenBase.Sparse:
            {
                string path = VmdkProducer.Qemu.Make(VmdkOutputCase.Named("convert monolithicSparse"), dir);
                P.EmbeddedDescriptor(path, t => P.SetLine(t, "CID=", "CID=5eed5eed"));
                return path;
            }
            case BrokenBase.Flat:
            {
                string path = VmdkProducer.Qemu.Make(VmdkOutputCase.Named("create monolithicFlat"), dir);
                P.DescriptorFile(path, t => P.SetLine(t, "CID=", "CID=5eed5eed"));
                return path;
            }
            case BrokenBase.Split:
            {
                string path = VmdkProducer.Qemu.Make(VmdkOutputCase.Named("convert twoGbMaxExtentSparse"), dir);
                P.DescriptorFile(path, t => P.SetLine(t, "CID=", "CID=5eed5eed"));
                // qemu reserves an empty embedded-descriptor area in split extents (H.descriptor-not-embedded): cleared here.
                P.U64(S001(path), H.At.DescriptorOffset, 0);
                P.U64(S001(path), H.At.DescriptorSize, 0);
                return path;
            }
            default:
            {
                string shared = QemuOracle.SharedImages ?? throw new AssertFailedException("../shared/images is missing");
                string path = Path.Combine(dir, "stream.vmdk");
                File.Copy(Path.Combine(shared, "talaloni", "StreamOptimized.vmdk"), path);
                File.SetAttributes(path, FileAttributes.Normal);
                return path;
            }
        }
    }

    private static string S001(string descriptor) => Path.Combine(Path.GetDirectoryName(descriptor)!, "out-s001.vmdk");

    /// <summary>Changes the extent line's sector count from the header capacity to <paramref name="sectors"/>.</summary>
    private static Func<string, string> ExtentSectors(string path, ulong sectors)
    {
        ulong capacity = P.Header(path).Capacity;
        return t => t.Replace($"RW {capacity} ", $"RW {sectors} ");
    }

    public static IReadOnlyList<BrokenImage> All { get; } = Build();

    public static BrokenImage Named(string name) => All.Single(b => b.Name == name);

    /// <summary>Replaces a grain's data with a valid zlib stream of one zero sector (the marker's sectors hold it easily).</summary>
    private static void ShortGrain(string path, long sector)
    {
        var z = new MemoryStream();
        using (var c = new System.IO.Compression.ZLibStream(z, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
            c.Write(new byte[512]);
        byte[] data = z.ToArray();
        P.U32(path, sector * 512 + 8, (uint)data.Length);
        using var s = new FileStream(path, FileMode.Open, FileAccess.Write);
        s.Position = sector * 512 + StreamMarker.DataOffset;
        s.Write(data);
    }

    private static List<BrokenImage> Build()
    {
        var S = BrokenBase.Sparse;
        var F = BrokenBase.Flat;
        var T = BrokenBase.Stream;
        var X = BrokenBase.Split;
        uint Flags(string p) => P.Header(p).Flags;
        void Text(string p, string key, string line) => P.EmbeddedDescriptor(p, t => P.SetLine(t, key, line));
        long Gte(string p, int grain) => P.GteOffset(p, P.Header(p).GdOffset, grain);
        long FooterGd(string p) => (long)P.Header(p, new FileInfo(p).Length - 1024).GdOffset;
        return
        [
            new("extent magic", VmdkRules.Magic, X, p => P.Byte(S001(p), 0, (byte)'X')),
            new("extent capacity differs from its line", VmdkRules.ExtentSum, X, p => P.U64(S001(p), H.At.Capacity, P.Header(S001(p)).Capacity + 128)),
            new("split extent over 2 GiB", VmdkRules.CreateTypeMatches, X, p => P.DescriptorFile(p, ExtentSectors(S001(p), 4194305))),
            new("version 4", VmdkRules.Version, S, p => P.U32(p, H.At.Version, 4)),
            new("no newline test flag", VmdkRules.NewlineFlag, S, p => P.U32(p, H.At.Flags, Flags(p) & ~H.FlagNewlineTest)),
            new("newline check character", VmdkRules.NewlineChars, S, p => P.Byte(p, H.At.NewlineChars + 2, (byte)'x')),
            new("undefined flag bit", VmdkRules.UnknownFlags, S, p => P.U32(p, H.At.Flags, Flags(p) | 1u << 5)),
            new("zeroed-grain flag in version 1", VmdkRules.ZeroedGrainVersion, S, p => P.U32(p, H.At.Flags, Flags(p) | H.FlagZeroedGrain)),
            new("grain size not a power of 2", VmdkRules.GrainSize, S, p => P.U64(p, H.At.GrainSize, 96)),
            new("grain size 4 sectors", VmdkRules.GrainSize, S, p => P.U64(p, H.At.GrainSize, 4)),
            new("capacity not a grain multiple", VmdkRules.CapacityGrains, S, p => P.U64(p, H.At.Capacity, P.Header(p).Capacity - 1)),
            new("split extent with an embedded-descriptor area", VmdkRules.NotEmbedded, X, p => P.U64(S001(p), H.At.DescriptorOffset, 1)),
            new("256 GTEs per GT", VmdkRules.GtesPerGt, S, p => P.U32(p, H.At.NumGtesPerGt, 256)),
            new("descriptor past the end", VmdkRules.Descriptor, S, p => P.U64(p, H.At.DescriptorSize, 1 << 20)),
            new("redundant directory after the directory", VmdkRules.GdOrder, S, p => P.U64(p, H.At.RgdOffset, P.Header(p).GdOffset + 1)),
            new("overHead not a grain multiple", VmdkRules.Overhead, S, p => P.U64(p, H.At.OverHead, 100)),
            new("overHead short of the tables", VmdkRules.Overhead, S, p => P.U64(p, H.At.OverHead, 0)),
            new("deflate without the compressed flag", VmdkRules.Compression, S, p => P.U16(p, H.At.CompressAlgorithm, 1)),
            new("unclean shutdown", VmdkRules.Unclean, S, p => P.Byte(p, H.At.UncleanShutdown, 1)),
            new("GDE outside the file", VmdkRules.GdInFile, S, p => P.U32(p, (long)P.Header(p).GdOffset * 512, 0x7fffffff)),
            new("GTE outside the file", VmdkRules.GteInFile, S, p => P.U32(p, Gte(p, 0), 0x7fffffff)),
            new("GTE inside the metadata", VmdkRules.GteInFile, S, p => P.U32(p, Gte(p, 0), 2)),
            new("two GTEs share a grain", VmdkRules.SharedGrain, S, p => P.U32(p, Gte(p, 32), P.ReadU32(p, Gte(p, 0)))),
            new("redundant table differs", VmdkRules.Redundant, S, p => P.U32(p, P.GteOffset(p, P.Header(p).RgdOffset, 0), 0)),
            new("first line", VmdkRules.FirstLine, S, p => Text(p, "# Disk DescriptorFile", "# Disk Descriptor")),
            new("descriptor version 2", VmdkRules.DescVersion, S, p => Text(p, "version=", "version=2")),
            new("CID not hex", VmdkRules.Cid, S, p => Text(p, "CID=", "CID=5eedXeed")),
            new("parentCID without parent", VmdkRules.ParentCid, S, p => Text(p, "parentCID=", "parentCID=12345678")),
            new("unknown createType", VmdkRules.CreateType, S, p => Text(p, "createType=", "createType=\"monolithicSparseDisk\"")),
            new("flat createType on a sparse extent", VmdkRules.CreateTypeMatches, S, p => Text(p, "createType=", "createType=\"monolithicFlat\"")),
            new("extent type", VmdkRules.ExtentGrammar, S, p => P.EmbeddedDescriptor(p, t => t.Replace(" SPARSE ", " SPARSER "))),
            new("offset on a sparse extent", VmdkRules.ExtentGrammar, S, p => P.EmbeddedDescriptor(p, t => t.Replace(".vmdk\"\n", ".vmdk\" 0\n"))),
            new("extent size differs from capacity", VmdkRules.ExtentSum, S, p => P.EmbeddedDescriptor(p, ExtentSectors(p, P.Header(p).Capacity + 1))),
            new("flat file too short", VmdkRules.ExtentFile, F, p => File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(p)!, "out-flat.vmdk"), new byte[4096])),
            new("flat file missing", VmdkRules.ExtentFile, F, p => File.Delete(Path.Combine(Path.GetDirectoryName(p)!, "out-flat.vmdk"))),
            new("flat extent line size", VmdkRules.ExtentGrammar, F, p => P.DescriptorFile(p, t => t.Replace(" FLAT ", " FLAT  x "))),
            new("virtualHWVersion not a number", VmdkRules.HwVersion, S, p => Text(p, "ddb.virtualHWVersion", "ddb.virtualHWVersion = \"four\"")),
            new("virtualHWVersion missing", VmdkRules.HwVersion, F, p => P.DescriptorFile(p, t => P.SetLine(t, "ddb.virtualHWVersion", ""))),
            new("adapterType scsi", VmdkRules.AdapterType, S, p => Text(p, "ddb.adapterType", "ddb.adapterType = \"scsi\"")),
            new("cylinders off by one", VmdkRules.Geometry, S, p => Text(p, "ddb.geometry.cylinders", "ddb.geometry.cylinders = \"7\"")),
            new("ide heads 255", VmdkRules.Geometry, F, p => P.DescriptorFile(p, t => P.SetLine(t, "ddb.geometry.heads", "ddb.geometry.heads = \"255\""))),
            new("second descriptor appended", VmdkRules.SingleDescriptor, S, p => P.EmbeddedDescriptor(p, t => t + t)),
            new("garbage after the descriptor", VmdkRules.SingleDescriptor, F, p => File.AppendAllText(p, "\0ddb.adapterType = \"ide\"\n")),
            new("stream version 1", VmdkRules.StreamVersion, T, p => P.U32(p, H.At.Version, 1)),
            new("stream without the compressed flag", VmdkRules.StreamVersion, T, p => P.U32(p, H.At.Flags, Flags(p) & ~H.FlagCompressed)),
            new("stream without deflate", VmdkRules.StreamCompress, T, p => P.U16(p, H.At.CompressAlgorithm, 0)),
            new("stream createType", VmdkRules.StreamCreateType, T, p => Text(p, "createType=", "createType=\"monolithicSparse\"")),
            new("grain LBA not aligned", VmdkRules.GrainMarker, T, p => P.U64(p, P.GrainMarkers(p, 1)[0] * 512, 1)),
            new("grain LBA past the disk", VmdkRules.GrainMarker, T, p => P.U64(p, P.GrainMarkers(p, 1)[0] * 512, P.Header(p).Capacity)),
            new("grain size past the file", VmdkRules.GrainMarker, T, p => P.U32(p, P.GrainMarkers(p, 1)[0] * 512 + 8, 0x7fffffff)),
            new("grain not deflate", VmdkRules.GrainDeflate, T, p => P.U32(p, P.GrainMarkers(p, 1)[0] * 512 + 12, 0xdeadbeef)),
            new("grain inflates to one sector", VmdkRules.GrainDeflate, T, p => ShortGrain(p, P.GrainMarkers(p, 1)[0])),
            new("grains out of order", VmdkRules.GrainOrder, T, p => P.U64(p, P.GrainMarkers(p, 2)[1] * 512, 0)),
            new("GT marker type 7", VmdkRules.MetadataMarker, T, p => P.U32(p, P.FirstMetadataMarker(p, StreamMarker.GrainTable) * 512 + 12, 7)),
            new("GT marker numSectors", VmdkRules.MetadataMarker, T, p => P.U64(p, P.FirstMetadataMarker(p, StreamMarker.GrainTable) * 512, 3)),
            new("footer marker type", VmdkRules.Footer, T, p => P.U32(p, new FileInfo(p).Length - 1536 + 12, StreamMarker.GrainDirectory)),
            new("footer capacity", VmdkRules.Footer, T, p => P.U64(p, new FileInfo(p).Length - 1024 + H.At.Capacity, 2048)),
            new("no end-of-stream marker", VmdkRules.EndOfStream, T, p => { using var s = File.OpenWrite(p); s.SetLength(s.Length - 512); }),
            new("data after the end-of-stream marker", VmdkRules.EndOfStream, T, p => File.AppendAllText(p, new string('x', 512))),
            new("GTE points at another grain's marker", VmdkRules.StreamGte, T,
                p => P.U32(p, P.GteOffset(p, (ulong)FooterGd(p), 0), (uint)P.GrainMarkers(p, 2)[1])),
        ];
    }
}
