namespace ImageBuild.Cli.FormatTests.Vpc;

/// <summary>Comparing VHDs written by qemu-img and by the tool under test.</summary>
internal static class VpcOracleImages
{
    /// <summary>
    /// Same length and bytes but for what qemu fills from the clock and at random in each footer (the copy at 0 of a
    /// dynamic disk and the footer at the end): time stamp (24, 4 bytes), checksum (64) and UUID (68, 16 bytes).
    /// </summary>
    public static void AssertSameButFooterIdentity(string expectedPath, string actualPath, string what)
    {
        byte[] e = File.ReadAllBytes(expectedPath), a = File.ReadAllBytes(actualPath);
        Assert.AreEqual(e.Length, a.Length, $"{what}: file length");
        foreach (byte[] b in new[] { e, a })
            foreach (long footer in new[] { 0L, b.Length - 512L })
            {
                if (footer < 0 || !b.AsSpan((int)footer, 8).SequenceEqual("conectix"u8)) continue;
                b.AsSpan((int)footer + 24, 4).Clear();
                b.AsSpan((int)footer + 64, 20).Clear();
            }
        int same = e.AsSpan().CommonPrefixLength(a);
        if (same < e.Length)
            Assert.Fail($"{what}: first differing byte at offset {same} (0x{same:x}): qemu-img wrote 0x{e[same]:x2}, the tool 0x{a[same]:x2}");
    }
}
