namespace ImageBuild.Engine.Tests.Vmdk.Spec;

/// <summary>
/// One way to make a VMDK: `create -f vmdk -o OPTIONS NAME SIZE`, or `convert -f raw -O vmdk -o OPTIONS` of a
/// <see cref="SourceRaw"/> of SIZE bytes (data, explicit zeros, holes, data in the last grain).
/// </summary>
/// <param name="ImageBuildOnly">Options qemu-img does not have (ImageBuild's extensions): made by imagebuild only.</param>
public sealed record VmdkOutputCase(string Name, bool Convert, string Options, long Size = VmdkOutputCase.Small, bool ImageBuildOnly = false)
{
    public override string ToString() => Name;

    /// <summary>3 MiB: a whole number of 64 KiB grains.</summary>
    public const long Small = 3L << 20;

    /// <summary>Not a whole number of grains: the last grain is short (and the capacity not a grain multiple).</summary>
    public const long Odd = (3L << 20) + 2560;

    /// <summary>More than one 2 GiB extent, and ide cylinders past the small case.</summary>
    public const long Big = 5L << 30;

    public static IReadOnlyList<VmdkOutputCase> All { get; } = Build();

    public static VmdkOutputCase Named(string name) => All.Single(c => c.Name == name);

    private static List<VmdkOutputCase> Build()
    {
        var list = new List<VmdkOutputCase>();
        foreach (string sub in new[] { "monolithicSparse", "monolithicFlat", "twoGbMaxExtentSparse", "twoGbMaxExtentFlat", "streamOptimized" })
        {
            list.Add(new($"create {sub}", false, $"subformat={sub}"));
            list.Add(new($"convert {sub}", true, $"subformat={sub}"));
        }
        list.Add(new("convert monolithicSparse odd size", true, "subformat=monolithicSparse", Odd));
        list.Add(new("convert streamOptimized odd size", true, "subformat=streamOptimized", Odd));
        list.Add(new("create monolithicFlat odd size", false, "subformat=monolithicFlat", Odd));
        list.Add(new("create twoGbMaxExtentSparse 5G", false, "subformat=twoGbMaxExtentSparse", Big));
        list.Add(new("create twoGbMaxExtentFlat 5G", false, "subformat=twoGbMaxExtentFlat", Big));
        list.Add(new("create monolithicSparse 5G", false, "subformat=monolithicSparse", Big));
        list.Add(new("convert monolithicSparse zeroed_grain", true, "subformat=monolithicSparse,zeroed_grain=on"));
        list.Add(new("convert twoGbMaxExtentSparse zeroed_grain", true, "subformat=twoGbMaxExtentSparse,zeroed_grain=on"));
        list.Add(new("convert monolithicSparse compat6", true, "subformat=monolithicSparse,compat6=on"));
        list.Add(new("convert streamOptimized compat6", true, "subformat=streamOptimized,compat6=on"));
        list.Add(new("convert monolithicSparse hwversion", true, "subformat=monolithicSparse,hwversion=14"));
        list.Add(new("convert streamOptimized hwversion", true, "subformat=streamOptimized,hwversion=14"));
        foreach (string adapter in new[] { "lsilogic", "buslogic", "legacyESX" })
        {
            list.Add(new($"convert monolithicSparse {adapter}", true, $"subformat=monolithicSparse,adapter_type={adapter}"));
            list.Add(new($"convert streamOptimized {adapter}", true, $"subformat=streamOptimized,adapter_type={adapter}"));
        }
        list.Add(new("create monolithicSparse lsilogic 5G", false, "subformat=monolithicSparse,adapter_type=lsilogic", Big));
        list.Add(new("create monolithicFlat lsilogic 1.5G", false, "subformat=monolithicFlat,adapter_type=lsilogic", 3L << 29));
        // ImageBuild's stream_layout=vmware: VMware's own stream layout, meant to keep every rule
        const string vmware = "subformat=streamOptimized,stream_layout=vmware";
        list.Add(new("create streamOptimized vmware", false, vmware, ImageBuildOnly: true));
        list.Add(new("create streamOptimized vmware 5G", false, vmware, Big, ImageBuildOnly: true));
        list.Add(new("convert streamOptimized vmware", true, vmware, ImageBuildOnly: true));
        list.Add(new("convert streamOptimized vmware 5G", true, vmware, Big, ImageBuildOnly: true));
        list.Add(new("convert streamOptimized vmware compat6", true, vmware + ",compat6=on", ImageBuildOnly: true));
        list.Add(new("convert streamOptimized vmware odd size", true, vmware, Odd, ImageBuildOnly: true));
        return list;
    }

    /// <summary>Writes a convert source of <paramref name="size"/> bytes: data in the first grain, explicit zeros, a hole, data at the end.</summary>
    public static void SourceRaw(string path, long size)
    {
        using var s = new FileStream(path, FileMode.Create, FileAccess.Write);
        s.SetLength(size);
        s.Write(Pattern(64 * 1024, 1));
        s.Position = 1 << 20;
        s.Write(new byte[128 * 1024]);
        s.Position = (2 << 20) + 4096;
        s.Write(Pattern(4096, 2));
        s.Position = size - 1000;
        s.Write(Pattern(1000, 3));
    }

    private static byte[] Pattern(int length, int seed)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte)(i * 31 + (i >> 9) * seed + seed);
        return b;
    }
}
