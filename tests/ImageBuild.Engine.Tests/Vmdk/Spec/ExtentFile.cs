namespace ImageBuild.Engine.Tests.Vmdk.Spec;

/// <summary>Bounded random reads of one extent file: a read past the end yields only what is there.</summary>
public sealed class ExtentFile : IDisposable
{
    private readonly FileStream _stream;

    public ExtentFile(string path)
    {
        Path = path;
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
    }

    public string Path { get; }

    public long Length => _stream.Length;

    public long Sectors => Length / 512;

    /// <summary>Reads up to <paramref name="count"/> bytes at <paramref name="offset"/>; shorter at the end of the file.</summary>
    public byte[] Read(long offset, int count)
    {
        if (offset < 0 || offset >= Length) return [];
        var buf = new byte[(int)Math.Min(count, Length - offset)];
        _stream.Position = offset;
        _stream.ReadExactly(buf);
        return buf;
    }

    /// <summary>True when [sector, sector + count) lies inside the file.</summary>
    public bool HoldsSectors(ulong sector, ulong count) =>
        sector <= (ulong)Sectors && count <= (ulong)Sectors - sector;

    public void Dispose() => _stream.Dispose();
}
