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
    /// <summary>
    /// THE switch for formats whose driver is not written yet: false reports their contract cases as inconclusive
    /// ("driver not written yet"), true makes them fail. Every profile row has its driver, so a row added before its
    /// driver fails: add the row with the driver.
    /// </summary>
    public static readonly bool MissingDriverFails = true;

    private static readonly FormatRegistry Registry = FormatRegistry.CreateDefault();

    /// <summary>Whether the engine refuses <paramref name="format"/> as a format it has no driver for yet.</summary>
    public static bool IsRefused(string format) => !ToolUnderTest.IsQemu && Registry.Find(format) is UnsupportedFormat;

    /// <summary>Whether the tool under test reads (and, where the format allows, writes) <paramref name="format"/>.</summary>
    public static bool HasDriver(string format) => ToolUnderTest.IsQemu || Registry.Find(format) is { } f && f is not UnsupportedFormat;

    /// <summary>Stops the current test (inconclusive, or failed with <see cref="MissingDriverFails"/>) when the engine has no driver.</summary>
    public static void Require(string format)
    {
        if (HasDriver(format)) return;
        string reason = $"driver not written yet: the engine registers '{format}' as UnsupportedFormat";
        if (MissingDriverFails) Assert.Fail(reason);
        Assert.Inconclusive(reason);
    }
}
