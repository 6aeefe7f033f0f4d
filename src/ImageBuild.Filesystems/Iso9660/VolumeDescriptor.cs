namespace ImageBuild.Filesystems.Iso9660;

/// <summary>
/// ECMA-119 8.4 Primary Volume Descriptor (type 1), the Joliet Supplementary Volume Descriptor (8.5, type 2, escape
/// sequence "%/E" for UCS-2 level 3, identifiers in UCS-2 big endian) and the Volume Descriptor Set Terminator (8.3,
/// type 255). The volume set, publisher, preparer and application identifiers are fixed, so images depend only on
/// the tree and the options.
/// </summary>
internal static class VolumeDescriptor
{
    public static void Write(Span<byte> d, bool joliet, string volumeId, long volumeBlocks, int pathTableSize,
        long lTable, long mTable, ReadOnlySpan<byte> rootRecord, DateTime date)
    {
        d[..IsoFields.BlockSize].Clear();
        d[0] = (byte)(joliet ? 2 : 1);
        "CD001"u8.CopyTo(d[1..]);
        d[6] = 1;
        IsoFields.Text(d[8..40], "", joliet);
        IsoFields.Text(d[40..72], volumeId, joliet);
        IsoFields.Both32(d[80..], volumeBlocks);
        if (joliet) "%/E"u8.CopyTo(d[88..]);
        IsoFields.Both16(d[120..], 1);
        IsoFields.Both16(d[124..], 1);
        IsoFields.Both16(d[128..], IsoFields.BlockSize);
        IsoFields.Both32(d[132..], pathTableSize);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(d[140..], checked((uint)lTable));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(d[148..], checked((uint)mTable));
        rootRecord.CopyTo(d[156..]);
        IsoFields.Text(d[190..318], "", joliet);
        IsoFields.Text(d[318..446], "", joliet);
        IsoFields.Text(d[446..574], "", joliet);
        IsoFields.Text(d[574..702], "IMAGEBUILD", joliet);
        IsoFields.Text(d[702..739], "", joliet);
        IsoFields.Text(d[739..776], "", joliet);
        IsoFields.Text(d[776..813], "", joliet);
        IsoFields.Date17(d[813..], date);
        IsoFields.Date17(d[830..], date);
        IsoFields.Date17(d[847..], null);
        IsoFields.Date17(d[864..], date);
        d[881] = 1;
    }

    public static void WriteTerminator(Span<byte> d)
    {
        d[..IsoFields.BlockSize].Clear();
        d[0] = 255;
        "CD001"u8.CopyTo(d[1..]);
        d[6] = 1;
    }

    /// <summary>ECMA-119 7.4.1 d-characters for the primary volume identifier: upper case, others '_', at most 32.</summary>
    public static string PrimaryVolumeId(string label)
    {
        var c = label.ToUpperInvariant().Select(ch => ch is >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' ? ch : '_').ToArray();
        return new string(c, 0, Math.Min(c.Length, 32));
    }

    public static string JolietVolumeId(string label) =>
        label.Length <= 16 ? label : label[..(char.IsHighSurrogate(label[15]) ? 15 : 16)];
}
