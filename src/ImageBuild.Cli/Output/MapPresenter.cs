using System.Globalization;
using ImageBuild.Engine.Operations;

namespace ImageBuild.Cli.Output;

/// <summary>qemu-img map's hand-printed outputs (dump_map_entry).</summary>
public static class MapPresenter
{
    public const string HumanHeader = "Offset          Length          Mapped to       File\n";

    /// <summary>The human line of an extent: only data that is not zero is printed; null when nothing is printed.</summary>
    public static string? HumanLine(MapEntry e)
    {
        if (e.Data && e.Offset is null)
            throw new MapHumanException();
        if (!e.Data || e.Zero)
            return null;
        return CFormat.HexAlt16(e.Start) + CFormat.HexAlt16(e.Length) + CFormat.HexAlt16(e.Offset ?? 0) + (e.Filename ?? "") + "\n";
    }

    /// <summary>The JSON object of one extent (7.2 layout, no "compressed" member), without separator.</summary>
    public static string JsonEntry(MapEntry e)
    {
        string s = string.Create(CultureInfo.InvariantCulture,
            $"{{ \"start\": {e.Start}, \"length\": {e.Length}, \"depth\": {e.Depth}, \"present\": {B(e.Present)}, \"zero\": {B(e.Zero)}, \"data\": {B(e.Data)}");
        if (e.Offset is { } o)
            s += string.Create(CultureInfo.InvariantCulture, $", \"offset\": {o}");
        return s + "}";
    }

    private static string B(bool b) => b ? "true" : "false";
}

/// <summary>Human map output cannot show data without a host offset.</summary>
public sealed class MapHumanException() : Exception("File contains external, encrypted or compressed clusters.");
