using ImageBuild.Engine.Formats.Bochs;
using ImageBuild.Engine.Formats.Cloop;
using ImageBuild.Engine.Formats.Dmg;
using ImageBuild.Engine.Formats.Luks;
using ImageBuild.Engine.Formats.Parallels;
using ImageBuild.Engine.Formats.Qcow;
using ImageBuild.Engine.Formats.Qed;
using ImageBuild.Engine.Formats.Raw;
using ImageBuild.Engine.Formats.Vdi;
using ImageBuild.Engine.Formats.Vhdx;
using ImageBuild.Engine.Formats.Vmdk;
using ImageBuild.Engine.Formats.Vpc;

using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Formats;

/// <summary>
/// The drivers this engine ships, one line each: the one place that names the formats. Formats qemu-img 7.2 handles whose driver is not written yet are
/// registered as <see cref="UnsupportedFormat"/> with qemu's probe, so that they are refused by name and never read
/// as raw; a new driver replaces its format's line.
/// </summary>
internal static class BuiltinFormats
{
    public static FormatRegistry Register(FormatRegistry registry) => registry
        .Register(new RawFormat())
        .Register(new Qcow2.Qcow2Format())
        .Register(new QcowFormat())
        .Register(new QedFormat())
        .Register(new VdiFormat())
        .Register(new VmdkFormat())
        .Register(new VpcFormat())
        .Register(new VhdxFormat())
        .Register(new ParallelsFormat())
        .Register(new LuksFormat())
        .Register(new BochsFormat())
        .Register(new CloopFormat())
        .Register(new DmgFormat());
}
