namespace ImageBuild.Engine.Formats.Vpc;

/// <summary>
/// The checksum of the hard disk footer and of the dynamic disk header (VHD specification, "Checksum"): the one's
/// complement of the sum of every byte of the structure, read with its checksum field taken as zero.
/// </summary>
internal static class VpcChecksum
{
    /// <summary>The checksum of <paramref name="data"/>, whose checksum field at <paramref name="fieldOffset"/> counts as zero.</summary>
    public static uint Compute(ReadOnlySpan<byte> data, int fieldOffset)
    {
        uint sum = 0;
        for (int i = 0; i < data.Length; i++)
            if (i < fieldOffset || i >= fieldOffset + 4)
                sum += data[i];
        return ~sum;
    }
}
