using ImageBuild.Cli.Output;

namespace ImageBuild.Cli.Tests.Unit;

[TestClass]
public sealed class FormattingTests
{
    // Values captured from qemu-img 7.2 (reference §2.0.6) plus the %g switch to exponent form at 1000.
    [TestMethod]
    [DataRow(0L, "0 B")]
    [DataRow(512L, "512 B")]
    [DataRow(1024L, "1 KiB")]
    [DataRow(1536L, "1.5 KiB")]
    [DataRow(1000448L, "977 KiB")]
    [DataRow(1024000L, "0.977 MiB")]
    [DataRow(1048576L, "1 MiB")]
    [DataRow(5000000000L, "4.66 GiB")]
    [DataRow(1394606L, "1.33 MiB")]
    [DataRow(200704L, "196 KiB")]
    [DataRow(1073741824L, "1 GiB")]
    [DataRow(1023999L, "1e+03 KiB")]
    [DataRow(999L, "999 B")]
    [DataRow(long.MaxValue, "8 EiB")]
    public void SizeToStrMatchesQemu(long value, string expected) =>
        Assert.AreEqual(expected, SizeFormatter.Format(value));

    [TestMethod]
    [DataRow(0.0, "0")]
    [DataRow(1.0, "1")]
    [DataRow(0.9765625, "0.977")]
    [DataRow(123456.0, "1.23e+05")]
    [DataRow(0.00001234, "1.23e-05")]
    [DataRow(0.0001234, "0.000123")]
    [DataRow(999.5, "1e+03")]
    [DataRow(10.25, "10.2")]
    [DataRow(10.35, "10.3")]
    [DataRow(1e20, "1e+20")]
    public void PercentGWithPrecision3(double v, string expected) => Assert.AreEqual(expected, CFormat.G(v, 3));

    // glibc rounds the exact binary value half-to-even: 1.125 is exact, 1.005 is slightly below.
    [TestMethod]
    [DataRow(1.125, "1.12")]
    [DataRow(1.375, "1.38")]
    [DataRow(1.005, "1.00")]
    [DataRow(100.0, "100.00")]
    [DataRow(0.0, "0.00")]
    [DataRow(94.11764705882354, "94.12")]
    public void PercentFWithTwoDecimals(double v, string expected) => Assert.AreEqual(expected, CFormat.F(v, 2));

    [TestMethod]
    [DataRow(0L, "0               ")]
    [DataRow(4096L, "0x1000          ")]
    [DataRow(0x80000L, "0x80000         ")]
    public void HexAlternateForm(long v, string expected) => Assert.AreEqual(expected, CFormat.HexAlt16(v));
}
