namespace ImageBuild.Packaging.Ovf;

/// <summary>
/// A network adapter as a RASD Item of ResourceType 10 "Ethernet Adapter" (DSP0243 §8.3), its ResourceSubType the
/// name VMware writes and VirtualBox maps (E1000 to its Intel PRO/1000; others to its default adapter).
/// </summary>
internal sealed record OvfNic(string Key, string? ResourceSubType);

/// <summary>The network adapters a recipe may name: vmxnet3, e1000, e1000e, or none (no adapter, no NetworkSection).</summary>
public static class OvfNics
{
    private static readonly OvfNic[] Table =
    [
        new("vmxnet3", "VmxNet3"),
        new("e1000", "E1000"),
        new("e1000e", "E1000e"),
        new("none", null),
    ];

    public static IReadOnlyList<string> Names { get; } = Array.ConvertAll(Table, t => t.Key);

    internal static OvfNic Get(string key) =>
        Array.Find(Table, t => t.Key == key)
        ?? throw new ArgumentException($"unknown NIC '{key}' (known: {string.Join(", ", Names)})");
}
