using System.Buffers.Binary;
using ImageBuild.Engine.Formats.Vhdx;
using ImageBuild.Engine.Formats.Vhdx.Log;
using ImageBuild.Engine.Host;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Engine.Tests.Vhdx.Log;

/// <summary>
/// A scratch file with a 1 MiB log at 1 MiB (as qemu lays it out) for building logs by hand: entries come from
/// <see cref="VhdxLogWriter"/>, then tests corrupt them, with or without fixing the checksum.
/// </summary>
internal sealed class VhdxLogScratch : IDisposable
{
    public static readonly Guid LogGuid = new("6a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9");
    public static readonly VhdxLogRegion Region = new(1 << 20, 1 << 20);
    public const long FileLength = 4 << 20;

    private readonly TempDir _dir = new();

    public VhdxLogScratch()
    {
        Path = System.IO.Path.Combine(_dir.Path, "log.vhdx");
        using var f = File.Create(Path);
        f.SetLength(FileLength);
    }

    public string Path { get; }

    public HostFile Open() => HostFile.Open(Path, writable: true);

    /// <summary>Writes one entry per call with a writer that stays open between them (one sequence).</summary>
    public VhdxLogWriter Writer(HostFile file, ulong firstSequence = 1) => new(file, Region, LogGuid, firstSequence);

    public VhdxLogReplay Read(Guid? guid = null, VhdxLogRegion? region = null)
    {
        using var f = HostFile.Open(Path, writable: false);
        return VhdxLogReader.Read(f, Path, region ?? Region, guid ?? LogGuid);
    }

    /// <summary>Edits bytes of the log at <paramref name="logOffset"/>; then, if asked, re-checksums the entry there.</summary>
    /// <param name="checksumLength">Bytes the checksum covers; by default the entry's (edited) EntryLength.</param>
    public void Edit(long logOffset, int length, Action<byte[]> edit, long? entryToFix = null, int? checksumLength = null)
    {
        using var f = File.Open(Path, FileMode.Open, FileAccess.ReadWrite);
        byte[] b = new byte[length];
        f.Position = Region.Offset + logOffset;
        f.ReadExactly(b);
        edit(b);
        f.Position = Region.Offset + logOffset;
        f.Write(b);
        if (entryToFix is { } entry)
        {
            byte[] h = new byte[64];
            f.Position = Region.Offset + entry;
            f.ReadExactly(h);
            int entryLength = checksumLength ?? (int)BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(8));
            byte[] all = new byte[entryLength];
            f.Position = Region.Offset + entry;
            f.ReadExactly(all);
            VhdxChecksum.Update(all, 4);
            f.Position = Region.Offset + entry;
            f.Write(all);
        }
    }

    public void Dispose() => _dir.Dispose();
}
