using System.Text;
using ImageBuild.Engine;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Host;
using ImageBuild.Engine.Options;

namespace ImageBuild.Tests.Shared;

/// <summary>
/// A test-only format of two files, standing in for a VMDK descriptor and its flat extent: the image file holds a
/// magic line and the name of its data file, relative to the image's own directory (as a VMDK descriptor names its
/// extents); the data file holds the guest bytes. Created as NAME.pair + NAME-data.bin. Register it with
/// <see cref="Context"/>; the engine itself never knows it.
/// </summary>
public sealed class PairImageFormat : ImageFormat
{
    public const string FormatName = "pair";
    public const string Magic = "IMAGEBUILD-TEST-PAIR\n";

    public override string Name => FormatName;

    public override FormatCapabilities Capabilities { get; } = new(FormatFeatures.Write | FormatFeatures.Create, "pair");

    public override IReadOnlyList<CreateOption> CreateOptions { get; } = [new("size", OptionType.Size, "Virtual disk size")];

    /// <summary>An engine that knows every built-in format and this one.</summary>
    public static ImageContext Context() => new(FormatRegistry.CreateDefault().Register(new PairImageFormat()));

    /// <summary>The data file's name for an image file name (disk.pair: disk-data.bin).</summary>
    public static string DataNameFor(string imageName) => Path.GetFileNameWithoutExtension(imageName) + "-data.bin";

    public override int Probe(ReadOnlySpan<byte> header, string filename) =>
        header.StartsWith(Encoding.ASCII.GetBytes(Magic)) ? 100 : 0;

    public override BlockDevice Open(OpenRequest request)
    {
        var head = new byte[(int)Math.Min(request.File.Length, 4096)];
        request.File.Read(0, head);
        string text = Encoding.ASCII.GetString(head);
        if (!text.StartsWith(Magic, StringComparison.Ordinal) || text.IndexOf('\n', Magic.Length) is var end && end < 0)
            throw new ImageException("not a pair image");
        string dataName = text[Magic.Length..end];
        string dataPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(request.Filename))!, dataName);
        var data = request.OpenChild(dataPath, "data file", ChildRole.Data);
        return new PairDevice(request.Filename, request.File, data, !request.Writable);
    }

    public override void Create(CreateRequest request)
    {
        string dataName = DataNameFor(request.Filename);
        string dataPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(request.Filename))!, dataName);
        using (var data = HostFile.Create(dataPath))
            data.SetLength(request.Size);
        using var file = HostFile.Create(request.Filename);
        file.Write(0, Encoding.ASCII.GetBytes(Magic + dataName + "\n"));
    }

    private sealed class PairDevice(string filename, HostFile file, HostFile data, bool readOnly) : BlockDevice(filename, readOnly)
    {
        public override string FormatName => PairImageFormat.FormatName;

        public override long VirtualSize => data.Length;

        public override HostFile File => file;

        public override IReadOnlyList<string> HostFileNames => [file.Path, data.Path];

        protected override void ReadCore(long offset, Span<byte> dest) => data.Read(offset, dest);

        protected override void WriteCore(long offset, ReadOnlySpan<byte> src) => data.Write(offset, src);

        public override DriverStatus GetDriverStatus(long offset, long length)
        {
            var (isData, run) = data.GetAllocation(offset, length);
            return new DriverStatus(Math.Min(run, length), (isData ? BlockStatusFlags.Data : BlockStatusFlags.Zero) | BlockStatusFlags.OffsetValid, offset, data);
        }

        public override void Flush()
        {
            data.Flush();
            file.Flush();
        }

        protected override void Dispose(bool disposing)
        {
            data.Dispose();
            file.Dispose();
        }
    }
}
