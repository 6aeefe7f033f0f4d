using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace ImageBuild.Oci.Layers;

/// <summary>
/// Writes the uncompressed tar of a layer: one file, as an ordinary PAX entry when it has no all-zero 4 KiB block,
/// otherwise in GNU sparse format 1.0 (PAX records GNU.sparse.major=1, minor=0, name, realsize; the map of data
/// extents as decimal lines at the start of the data area, padded to 512 bytes, then the extents' bytes), the form
/// `tar --format=posix --sparse-version=1.0 -S` writes and `tar -xSf` restores as a sparse file.
/// Every header field that could vary is fixed (mtime 0, uid/gid 0, no user or group names, mode 0644, records in
/// ordinal key order, fixed header names), so equal bytes give an equal tar.
/// System.Formats.Tar is not used for writing: its PAX header names carry the process id and its records are not
/// ordered, which would make equal files give different blobs.
/// </summary>
internal sealed class LayerTarWriter
{
    private const int CopySize = 1 << 20;
    private readonly Stream _output;
    private readonly byte[] _buffer = new byte[CopySize];
    private bool _checkBlocks;

    public LayerTarWriter(Stream output) => _output = output;

    /// <summary>
    /// Writes the archive for the file and returns the bytes of file data it stores. With
    /// <paramref name="knownExtents"/> (the file's runs of non-zero blocks, see <see cref="KnownExtents"/>) the file
    /// is not scanned first: its data is read once, as it is streamed.
    /// </summary>
    public long Write(string sourcePath, string entryName, IReadOnlyList<DataExtent>? knownExtents, CancellationToken ct)
    {
        using SafeFileHandle file = OpenSource(sourcePath);
        long length = RandomAccess.GetLength(file);
        DateTime modifiedBefore = File.GetLastWriteTimeUtc(sourcePath);
        SparseMap map = knownExtents is null ? ZeroBlockScanner.Scan(file, length, sourcePath, ct) : KnownExtents.ToMap(knownExtents, length, sourcePath);
        _checkBlocks = knownExtents is not null;

        if (map.DataBytes == length) WriteDense(file, length, entryName, sourcePath, ct);
        else WriteSparse(file, length, map, entryName, sourcePath, ct);
        WriteZeros(2 * TarHeader.BlockSize);

        if (RandomAccess.GetLength(file) != length || File.GetLastWriteTimeUtc(sourcePath) != modifiedBefore)
            throw new IOException($"{sourcePath}: the file changed while it was being encoded");
        return map.DataBytes;
    }

    /// <summary>Opens the source for sequential reading; failures are one line naming it.</summary>
    public static SafeFileHandle OpenSource(string sourcePath)
    {
        try
        {
            return File.OpenHandle(sourcePath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        }
        catch (Exception e) when (HostFileError.Is(e))
        {
            throw HostFileError.Wrap(e, sourcePath, "be read");
        }
    }

    private void WriteDense(SafeFileHandle file, long length, string entryName, string sourcePath, CancellationToken ct)
    {
        byte[] name = Encoding.UTF8.GetBytes(entryName);
        var records = new Dictionary<string, string>(StringComparer.Ordinal);
        if (name.Length > 100 || !Ascii.IsValid(name)) records["path"] = entryName;
        if (length > TarHeader.MaxOctalSize) records["size"] = Decimal(length);
        if (records.Count > 0) WriteExtendedHeader(entryName, records);
        WriteHeader(name, TarHeader.RegularType, length);
        CopyExtent(file, new DataExtent(0, length), sourcePath, ct);
        WritePadding(length);
    }

    private void WriteSparse(SafeFileHandle file, long length, SparseMap map, string entryName, string sourcePath, CancellationToken ct)
    {
        // GNU tar ends the map with (realsize, 0) when the file ends in a hole, so that extraction sets the length.
        bool endsInHole = map.Count == 0 || map.Last.End < length;
        int entries = map.Count + (endsInHole ? 1 : 0);
        long mapText = Digits(entries) + 1;
        for (int i = 0; i < map.Count; i++) mapText += Digits(map[i].Offset) + Digits(map[i].Length) + 2;
        if (endsInHole) mapText += Digits(length) + 1 + 2;
        long stored = Padded(mapText) + map.DataBytes;

        var records = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["GNU.sparse.major"] = "1",
            ["GNU.sparse.minor"] = "0",
            ["GNU.sparse.name"] = entryName,
            ["GNU.sparse.realsize"] = Decimal(length),
        };
        if (stored > TarHeader.MaxOctalSize) records["size"] = Decimal(stored);
        WriteExtendedHeader(entryName, records);
        WriteHeader(Encoding.UTF8.GetBytes("./GNUSparseFile.0/" + entryName), TarHeader.RegularType, stored);

        using (var text = new MapTextWriter(_output))
        {
            text.Number(entries);
            for (int i = 0; i < map.Count; i++) { text.Number(map[i].Offset); text.Number(map[i].Length); }
            if (endsInHole) { text.Number(length); text.Number(0); }
        }
        WritePadding(mapText);
        for (int i = 0; i < map.Count; i++) CopyExtent(file, map[i], sourcePath, ct);
        WritePadding(map.DataBytes);
    }

    private void WriteExtendedHeader(string entryName, Dictionary<string, string> records)
    {
        byte[] data = PaxRecords.Encode(records);
        WriteHeader(Encoding.UTF8.GetBytes("./PaxHeaders/" + entryName), TarHeader.PaxLocalType, data.Length);
        _output.Write(data);
        WritePadding(data.Length);
    }

    private void WriteHeader(byte[] name, byte type, long size)
    {
        Span<byte> block = stackalloc byte[TarHeader.BlockSize];
        new TarHeader { NameBytes = name, TypeFlag = type, Size = size }.WriteTo(block);
        _output.Write(block);
    }

    private void CopyExtent(SafeFileHandle file, DataExtent extent, string sourcePath, CancellationToken ct)
    {
        for (long pos = extent.Offset; pos < extent.End;)
        {
            ct.ThrowIfCancellationRequested();
            int n = (int)Math.Min(CopySize, extent.End - pos);
            ZeroBlockScanner.ReadExactly(file, _buffer.AsSpan(0, n), pos, sourcePath);
            if (_checkBlocks) KnownExtents.CheckNoZeroBlock(_buffer.AsSpan(0, n), pos, sourcePath);
            _output.Write(_buffer, 0, n);
            pos += n;
        }
    }

    private void WritePadding(long written)
    {
        int padding = (int)(Padded(written) - written);
        if (padding > 0) WriteZeros(padding);
    }

    private void WriteZeros(int count)
    {
        Span<byte> zeros = stackalloc byte[count];
        zeros.Clear();
        _output.Write(zeros);
    }

    private static long Padded(long size) => (size + TarHeader.BlockSize - 1) / TarHeader.BlockSize * TarHeader.BlockSize;

    private static int Digits(long value) => Decimal(value).Length;

    private static string Decimal(long value) => value.ToString(CultureInfo.InvariantCulture);
}
