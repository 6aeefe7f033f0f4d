using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace ImageBuild.Oci.Layers;

/// <summary>
/// Reads the uncompressed tar of a layer without trusting it: exactly one regular file (a "./" directory entry is
/// tolerated), PAX extended headers of at most 1 MiB, the file's name a plain file name, its size within the
/// caller's limit, GNU sparse 1.0 maps checked by <see cref="GnuSparseMapReader"/>, other sparse versions, links,
/// devices, global headers and GNU long-name entries refused, and nothing but zeros after the end-of-archive
/// blocks. The file is created new and written with holes where the map leaves data out.
/// Its own block parser rather than System.Formats.Tar's reader, so that every size is bounded before anything is
/// allocated and every other entry type is refused before its data is read.
/// </summary>
internal sealed class LayerTarReader
{
    private const long MaxNumber = 1L << 62;
    private const int CopySize = 1 << 20;

    private readonly TarInput _input;
    private readonly string _source;

    public LayerTarReader(Stream tar, string source)
    {
        _input = new TarInput(tar, source);
        _source = source;
    }

    /// <summary>
    /// Extracts the one file into <paramref name="destinationPath"/> (created new) and returns its name. On a
    /// failure the caller deletes the destination; <paramref name="created"/> says whether this call created it.
    /// </summary>
    public string Extract(string destinationPath, long maxFileSize, ExtractedDataObserver? observer, CancellationToken ct, out bool created)
    {
        created = false;
        byte[] block = new byte[TarHeader.BlockSize];
        Dictionary<string, string>? pax = null;
        string? entryName = null;
        bool sawDirectory = false;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (!_input.TryReadBlock(block)) throw _input.Truncated();
            if (TarHeader.IsZeroBlock(block))
            {
                if (pax is not null) throw Bad("an extended header is followed by the end of the archive");
                if (entryName is null) throw Bad("the layer holds no file");
                if (!_input.TryReadBlock(block) || !TarHeader.IsZeroBlock(block)) throw _input.Truncated();
                _input.RequireZerosToEnd();
                return entryName;
            }
            TarHeader header = TarHeader.Parse(block, _source);
            if (entryName is not null) throw Bad("the layer holds more than one entry");
            switch (header.TypeFlag)
            {
                case TarHeader.PaxLocalType:
                    if (pax is not null) throw Bad("two extended headers precede one entry");
                    pax = ReadPaxRecords(header.Size);
                    break;
                case TarHeader.DirectoryType:
                    string dir = pax?.GetValueOrDefault("path") ?? header.NameForDisplay;
                    if (sawDirectory || dir is not ("./" or ".") || header.Size != 0)
                        throw Bad($"the layer holds a directory '{Printable(dir)}', not only a file");
                    sawDirectory = true;
                    pax = null;
                    break;
                case TarHeader.RegularType or TarHeader.OldRegularType:
                    entryName = ExtractFile(header, pax ?? [], destinationPath, maxFileSize, observer, ct, out created);
                    pax = null;
                    break;
                default:
                    throw Bad($"the entry '{Printable(header.NameForDisplay)}' is {Describe(header.TypeFlag)}, not a regular file");
            }
        }
    }

    private Dictionary<string, string> ReadPaxRecords(long size)
    {
        if (size > PaxRecords.MaxHeaderSize) throw Bad($"an extended header of {size} bytes is larger than {PaxRecords.MaxHeaderSize}");
        byte[] data = new byte[size];
        _input.ReadExactly(data);
        _input.Skip(Padded(size) - size);
        var records = PaxRecords.Parse(data, _source);
        foreach (string key in records.Keys)
            if (key.StartsWith("GNU.sparse.", StringComparison.Ordinal) && key is not ("GNU.sparse.major" or "GNU.sparse.minor" or "GNU.sparse.name" or "GNU.sparse.realsize"))
                throw Bad($"the layer uses GNU sparse format 0.x ({key}); only 1.0 is read");
        return records;
    }

    private string ExtractFile(TarHeader header, Dictionary<string, string> pax, string destinationPath, long maxFileSize, ExtractedDataObserver? observer, CancellationToken ct, out bool created)
    {
        created = false;
        long storedSize = pax.TryGetValue("size", out string? sizeText) ? ParseDecimal(sizeText, "size") : header.Size;
        bool sparse = pax.ContainsKey("GNU.sparse.major") || pax.ContainsKey("GNU.sparse.minor");
        string rawName;
        long realSize;
        if (sparse)
        {
            string major = pax.GetValueOrDefault("GNU.sparse.major") ?? "?", minor = pax.GetValueOrDefault("GNU.sparse.minor") ?? "?";
            if (major != "1" || minor != "0") throw Bad($"the layer uses GNU sparse format {Printable(major)}.{Printable(minor)}; only 1.0 is read");
            rawName = pax.GetValueOrDefault("GNU.sparse.name") ?? throw Bad("a sparse entry has no GNU.sparse.name");
            realSize = ParseDecimal(pax.GetValueOrDefault("GNU.sparse.realsize") ?? throw Bad("a sparse entry has no GNU.sparse.realsize"), "GNU.sparse.realsize");
        }
        else
        {
            if (pax.ContainsKey("GNU.sparse.name") || pax.ContainsKey("GNU.sparse.realsize")) throw Bad("GNU sparse records without a sparse version");
            rawName = pax.GetValueOrDefault("path") ?? header.NameForDisplay;
            realSize = storedSize;
        }
        string name = LayerEntryName.StripCurrentDirectory(rawName);
        if (LayerEntryName.Problem(name) is { } problem) throw Bad($"the entry name '{Printable(name)}' {problem}");
        if (!pax.ContainsKey("path") && !sparse && !Ascii.IsValid(header.NameBytes) && !IsUtf8(header.NameBytes))
            throw Bad("the entry name is not UTF-8");
        if (realSize > maxFileSize) throw Bad($"the file '{name}' would be {realSize} bytes, over the limit of {maxFileSize}");

        SafeFileHandle file;
        try
        {
            file = File.OpenHandle(destinationPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        }
        catch (Exception e) when (HostFileError.Is(e))
        {
            throw HostFileError.Wrap(e, destinationPath, "be created");
        }
        created = true;
        using (file)
        {
            if (sparse)
            {
                SparseMap map = GnuSparseMapReader.Read(_input, storedSize, realSize, _source);
                for (int i = 0; i < map.Count; i++) Copy(file, map[i], destinationPath, observer, ct);
            }
            else
            {
                Copy(file, new DataExtent(0, storedSize), destinationPath, observer, ct);
            }
            try
            {
                RandomAccess.SetLength(file, realSize);
            }
            catch (Exception e) when (HostFileError.Is(e))
            {
                throw HostFileError.Wrap(e, destinationPath, "be written");
            }
        }
        _input.Skip(Padded(storedSize) - storedSize);
        return name;
    }

    private void Copy(SafeFileHandle file, DataExtent extent, string destinationPath, ExtractedDataObserver? observer, CancellationToken ct)
    {
        byte[] buffer = new byte[(int)Math.Min(CopySize, Math.Max(1, extent.Length))];
        for (long pos = extent.Offset; pos < extent.End;)
        {
            ct.ThrowIfCancellationRequested();
            int n = (int)Math.Min(buffer.Length, extent.End - pos);
            _input.ReadExactly(buffer.AsSpan(0, n));
            try
            {
                RandomAccess.Write(file, buffer.AsSpan(0, n), pos);
            }
            catch (Exception e) when (HostFileError.Is(e))
            {
                throw HostFileError.Wrap(e, destinationPath, "be written");
            }
            observer?.Invoke(pos, buffer.AsSpan(0, n));
            pos += n;
        }
    }

    private long ParseDecimal(string text, string what)
    {
        if (text.Length is 0 or > 19 || !text.All(char.IsAsciiDigit)
            || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value > MaxNumber)
            throw Bad($"the PAX record {what} is not a decimal number up to 2^62");
        return value;
    }

    private static long Padded(long size) => (size + TarHeader.BlockSize - 1) / TarHeader.BlockSize * TarHeader.BlockSize;

    private static bool IsUtf8(byte[] bytes) => System.Text.Unicode.Utf8.IsValid(bytes);

    private static string Describe(byte type) => type switch
    {
        (byte)'1' => "a hard link",
        (byte)'2' => "a symbolic link",
        (byte)'3' or (byte)'4' => "a device",
        (byte)'6' => "a FIFO",
        (byte)'g' => "a global extended header",
        (byte)'S' => "an old GNU sparse file",
        (byte)'L' or (byte)'K' => "a GNU long-name record",
        _ => $"of tar type '{Printable(((char)type).ToString())}'",
    };

    /// <summary>Text from the layer, safe for a one-line message: controls shown as '?', at most 80 characters.</summary>
    private static string Printable(string text)
    {
        var sb = new StringBuilder(Math.Min(text.Length, 80));
        foreach (char c in text.Length > 80 ? text[..80] : text) sb.Append(char.IsControl(c) ? '?' : c);
        return sb.ToString();
    }

    private InvalidDataException Bad(string what) => new($"{_source}: {what}");
}
