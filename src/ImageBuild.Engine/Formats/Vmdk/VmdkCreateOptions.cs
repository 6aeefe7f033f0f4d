using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>The subformats qemu 7.2 creates (BlockdevVmdkSubformat; "vmfs" is not one of them in 7.2).</summary>
internal enum VmdkSubformat
{
    MonolithicSparse,
    MonolithicFlat,
    TwoGbMaxExtentSparse,
    TwoGbMaxExtentFlat,
    StreamOptimized,
}

/// <summary>
/// The create options of qemu's vmdk_co_create_opts, read and checked in its order and with its messages:
/// backing_fmt must be vmdk, the adapter type and subformat are qapi enums (case-sensitive), hwversion "undefined"
/// means none. The checks of vmdk_co_do_create (compat6 with hwversion, flat with backing or zeroed grains) are in
/// <see cref="Validate"/>.
/// </summary>
internal sealed record VmdkCreateOptions(
    long Size, string AdapterType, string? BackingFile, string? HwVersion, string ToolsVersion, bool Compat6,
    VmdkSubformat Subformat, bool ZeroedGrain, string? StreamLayout = null)
{
    /// <summary>ImageBuild's stream_layout option (not qemu's): "qemu" (the default) or "vmware".</summary>
    public static readonly string[] StreamLayouts = ["qemu", "vmware"];

    /// <summary>stream_layout=vmware: a stream as VMware's tools write it (<see cref="VmwareStreamLayout"/>).</summary>
    public bool IsVmwareStream => StreamLayout == "vmware";

    /// <summary>qemu's BlockdevVmdkAdapterType, spelled as the descriptor's ddb.adapterType takes it.</summary>
    public static readonly string[] AdapterTypes = ["ide", "buslogic", "lsilogic", "legacyESX"];

    private static readonly string[] SubformatNames =
        ["monolithicSparse", "monolithicFlat", "twoGbMaxExtentSparse", "twoGbMaxExtentFlat", "streamOptimized"];

    public string SubformatName => SubformatNames[(int)Subformat];

    /// <summary>Two-gigabyte extents (spec: "twoGbMaxExtent*" disks split into extents of at most 2 GB).</summary>
    public bool IsSplit => Subformat is VmdkSubformat.TwoGbMaxExtentSparse or VmdkSubformat.TwoGbMaxExtentFlat;

    public bool IsFlat => Subformat is VmdkSubformat.MonolithicFlat or VmdkSubformat.TwoGbMaxExtentFlat;

    public bool IsCompressed => Subformat == VmdkSubformat.StreamOptimized;

    public static VmdkCreateOptions Parse(long size, OptionValues o)
    {
        string? backingFmt = o.GetString("backing_fmt");
        if (backingFmt is not null && backingFmt != "vmdk")
            throw new ImageException("backing_file must be a vmdk image");
        long total = (size + 511) / 512 * 512; // qemu rounds the size up to a whole sector
        string adapter = o.GetString("adapter_type") ?? "ide";
        string? backing = o.GetString("backing_file");
        string? hw = o.GetString("hwversion");
        string tools = o.GetString("toolsversion") ?? "2147483647"; // qemu's default: INT32_MAX
        bool compat6 = o.GetBool("compat6") ?? false;
        if (hw == "undefined") hw = null;
        string? fmt = o.GetString("subformat");
        bool zeroed = o.GetBool("zeroed_grain") ?? false;
        string? layout = o.GetString("stream_layout");
        if (Array.IndexOf(AdapterTypes, adapter) < 0)
            throw new ImageException($"invalid parameter value: {adapter}");
        int sub = fmt is null ? 0 : Array.IndexOf(SubformatNames, fmt);
        if (sub < 0)
            throw new ImageException($"invalid parameter value: {fmt}");
        if (layout is not null && Array.IndexOf(StreamLayouts, layout) < 0)
            throw new ImageException($"invalid parameter value: {layout}"); // qemu's message for a bad enum value
        return new VmdkCreateOptions(total, adapter, backing, hw, tools, compat6, (VmdkSubformat)sub, zeroed, layout);
    }

    /// <summary>vmdk_co_do_create's checks, before any file is made; returns the hardware version to write.</summary>
    public string Validate()
    {
        string hw = HwVersion ?? "4"; // spec: ddb.virtualHWVersion; qemu writes 4 unless told otherwise
        if (Compat6)
        {
            if (HwVersion is not null)
                throw new ImageException("compat6 cannot be enabled with hwversion set");
            hw = "6";
        }
        if (IsFlat && BackingFile is not null)
            throw new ImageException("Flat image can't have backing file");
        if (IsFlat && ZeroedGrain)
            throw new ImageException("Flat image can't enable zeroed grain");
        // ImageBuild's stream_layout, refused in the style of qemu's own option checks
        if (StreamLayout is not null && Subformat != VmdkSubformat.StreamOptimized)
            throw new ImageException($"stream_layout is only valid with subformat=streamOptimized, not {SubformatName}");
        if (IsVmwareStream && BackingFile is not null)
            throw new ImageException("VMware stream layout can't have backing file"); // spec: a stream has no parent
        if (IsVmwareStream && ZeroedGrain)
            throw new ImageException("VMware stream layout can't enable zeroed grain"); // VMware leaves zero grains out instead
        return hw;
    }
}
