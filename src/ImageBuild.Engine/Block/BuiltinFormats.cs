using ImageBuild.Engine.Formats.Raw;

namespace ImageBuild.Engine.Block;

/// <summary>The drivers this engine ships, in qemu's probing order.</summary>
internal static class BuiltinFormats
{
    public static FormatRegistry Register(FormatRegistry registry)
    {
        registry.Register(new RawFormat());
        registry.Register(new Formats.Qcow2.Qcow2Format());
        return registry;
    }
}
