using ImageBuild.Engine.Block;

namespace ImageBuild.Cli.Tests.Oracle.Contract;

/// <summary>
/// Which formats the engine has a driver for, asked of its <see cref="FormatRegistry"/> (never a list kept here):
/// a format registered as <see cref="UnsupportedFormat"/> is refused by the engine until its driver is written.
/// When the tool under test is qemu-img itself every format qemu knows counts as having a driver, so the profile
/// rows and real-image expectations are checked against qemu.
/// </summary>
public static class EngineDrivers
{
    private static readonly FormatRegistry Registry = FormatRegistry.CreateDefault();

    /// <summary>Whether the engine refuses <paramref name="format"/> as a format it has no driver for yet.</summary>
    public static bool IsRefused(string format) => !ToolUnderTest.IsQemu && Registry.Find(format) is UnsupportedFormat;

    /// <summary>Whether the tool under test reads (and, where the format allows, writes) <paramref name="format"/>.</summary>
    public static bool HasDriver(string format) => ToolUnderTest.IsQemu || Registry.Find(format) is { } f && f is not UnsupportedFormat;

    /// <summary>
    /// Fails the current test when the engine has no driver for a profile row's format: a row is added with its
    /// driver, never before it.
    /// </summary>
    public static void Require(string format)
    {
        if (!HasDriver(format))
            Assert.Fail($"driver not written yet: the engine registers '{format}' as UnsupportedFormat; add the profile row with the driver");
    }
}
