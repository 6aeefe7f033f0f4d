using System.Buffers.Binary;
using System.Text;
using ImageBuild.Engine.Formats.Vhdx;

namespace ImageBuild.Engine.Tests.Vhdx;

[TestClass]
public sealed class VhdxChecksumTests
{
    [TestMethod]
    public void Crc32CMatchesTheCastagnoliCheckValue()
    {
        // the CRC-32C check value of "123456789" (RFC 3720 B.4 and the CRC catalogue)
        Assert.AreEqual(0xE3069283u, VhdxChecksum.Crc32C(Encoding.ASCII.GetBytes("123456789")));
    }

    [TestMethod]
    public void TheChecksumFieldCountsAsZeroAndIsStoredLittleEndian()
    {
        byte[] s = Encoding.ASCII.GetBytes("head____0123456789abcdefghijk");
        VhdxChecksum.Update(s, 4);
        byte[] zeroed = (byte[])s.Clone();
        zeroed.AsSpan(4, 4).Clear();
        Assert.AreEqual(VhdxChecksum.Crc32C(zeroed), BinaryPrimitives.ReadUInt32LittleEndian(s.AsSpan(4)));
        Assert.IsTrue(VhdxChecksum.IsValid(s, 4));
        s[20] ^= 1;
        Assert.IsFalse(VhdxChecksum.IsValid(s, 4));
    }
}
