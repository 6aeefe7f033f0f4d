using ImageBuild.Engine.Host;

namespace ImageBuild.Packaging.Tar;

/// <summary>
/// Writes a tar archive whose bytes depend only on what is added: every member has the caller's mtime, uid/gid 0,
/// empty user and group names, the given mode, and nothing from the machine, the clock or the file system (a sparse
/// member's map comes from the file's bytes, not from where its holes are). The archive ends as GNU tar ends it:
/// two zero blocks, then zeros up to a multiple of the 10240-byte record (the default blocking factor 20).
/// <list type="bullet">
/// <item>Names: see <see cref="TarMemberName"/> (plain relative printable ASCII; ustar may split at a "/").</item>
/// <item>Sizes from 8 GiB (more than a 12-byte octal field holds) are written in GNU's base-256, in both formats.
/// For <see cref="TarFormat.Gnu"/> that is the format's own rule. For <see cref="TarFormat.Ustar"/> it is the rule
/// this writer follows for OVA packages: DSP0243 requires ustar, which cannot express such a size; the alternatives,
/// a PAX extended header or a GNU long member, add a member a plain ustar reader takes for a file (breaking the
/// "descriptor first" order of an OVA), while base-256 keeps one header per member and makes a reader without the
/// extension fail on that member instead of misreading it. GNU tar, libarchive (bsdtar) and VMware's ovftool read
/// base-256 sizes. Members below 8 GiB are plain ustar, byte for byte what GNU tar 1.34's <c>--format=ustar
/// --numeric-owner</c> writes.</item>
/// <item>Sparse members (<see cref="AddSparseFile"/>, Gnu only) are GNU tar's <c>--format=oldgnu -S</c> members:
/// type 'S', the first four map entries in the header, the rest in extension blocks of 21, then the data of the
/// map's entries, back to back. Byte for byte what <c>tar --format=oldgnu -S --hole-detection=raw</c> writes when
/// every 512-byte block inside a non-zero 4 KiB block holds a non-zero byte (GNU tar's raw detection works in 512-
/// byte blocks; this writer in 4 KiB blocks, as the OCI layers and the engine do).</item>
/// </list>
/// Not thread-safe. When adding a member fails part way, the archive is left unfinished (Dispose does not end it):
/// the caller deletes it.
/// </summary>
public sealed class DeterministicTarWriter : IDisposable
{
    /// <summary>GNU tar's default record: 20 blocks of 512 bytes.</summary>
    internal const int RecordSize = 20 * TarHeader.BlockSize;

    private const int CopySize = 1 << 20;

    private readonly Stream _output;
    private readonly TarFormat _format;
    private readonly long _mtime;
    private readonly bool _leaveOpen;
    private byte[]? _buffer;
    private long _position;
    private bool _finished, _broken, _disposed;

    /// <param name="output">Where the archive goes; written sequentially, never sought.</param>
    /// <param name="format">The header layout.</param>
    /// <param name="mtimeSeconds">Every member's modification time, seconds since 1970 (SOURCE_DATE_EPOCH).</param>
    /// <param name="leaveOpen">Leave <paramref name="output"/> open on dispose.</param>
    public DeterministicTarWriter(Stream output, TarFormat format, long mtimeSeconds, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!output.CanWrite) throw new ArgumentException("the tar output stream is not writable", nameof(output));
        if (!Enum.IsDefined(format)) throw new ArgumentOutOfRangeException(nameof(format));
        if (mtimeSeconds is < 0 or > TarHeader.MaxOctalTime)
            throw new ArgumentOutOfRangeException(nameof(mtimeSeconds), $"mtime {mtimeSeconds} is outside 0..{TarHeader.MaxOctalTime} seconds");
        _output = output;
        _format = format;
        _mtime = mtimeSeconds;
        _leaveOpen = leaveOpen;
    }

    /// <summary>Adds a regular file holding <paramref name="content"/>.</summary>
    public void AddFile(string name, ReadOnlySpan<byte> content, int mode = 0b110_100_100)
    {
        TarHeader header = Header(name, content.Length, mode);
        EnsureWritable();
        _broken = true;
        WriteHeader(header);
        Write(content);
        WritePadding(content.Length);
        _broken = false;
    }

    /// <summary>
    /// Adds a regular file of <paramref name="length"/> bytes copied from <paramref name="content"/> (streamed through
    /// a 1 MiB buffer); <paramref name="observe"/> sees every content byte written (to hash while writing);
    /// <paramref name="progress"/> gets the bytes copied so far.
    /// </summary>
    /// <exception cref="IOException">The stream ends before <paramref name="length"/> bytes.</exception>
    public void AddFile(string name, Stream content, long length, int mode = 0b110_100_100,
        Action<ReadOnlySpan<byte>>? observe = null, Action<long>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        TarHeader header = Header(name, length, mode);
        EnsureWritable();
        _broken = true;
        WriteHeader(header);
        byte[] buffer = Buffer;
        for (long copied = 0; copied < length;)
        {
            cancellation.ThrowIfCancellationRequested();
            int n = content.Read(buffer, 0, (int)Math.Min(buffer.Length, length - copied));
            if (n <= 0) throw new IOException($"tar member '{name}': its content ended after {copied} of {length} bytes");
            observe?.Invoke(buffer.AsSpan(0, n));
            Write(buffer.AsSpan(0, n));
            copied += n;
            progress?.Invoke(copied);
        }
        WritePadding(length);
        _broken = false;
    }

    /// <summary>
    /// Gnu only: adds the host file at <paramref name="hostPath"/> as a sparse member ('S') storing the runs of its
    /// non-zero 4 KiB blocks (holes are not read, zero blocks not stored); its real size is the file's length.
    /// <paramref name="progress"/> gets the data bytes stored so far. The member is sparse even when the file has no
    /// zero block (GNU tar <c>-S</c> then writes a regular member, having asked the file system): the choice depends
    /// on nothing but the call. The file is scanned, then copied: it must not change meanwhile.
    /// </summary>
    /// <exception cref="InvalidOperationException">The writer's format is not <see cref="TarFormat.Gnu"/>.</exception>
    public void AddSparseFile(string name, string hostPath, int mode = 0b110_100_100, Action<long>? progress = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(hostPath);
        if (_format != TarFormat.Gnu)
            throw new InvalidOperationException($"tar member '{name}': sparse members need the GNU format (ustar has none)");
        TarHeader plain = Header(name, 0, mode);
        EnsureWritable();
        using HostFile file = HostFile.Open(hostPath, writable: false);
        long length = file.Length;
        GnuSparseMap map = NonZeroBlockScanner.Scan(file, length, Buffer, cancellation);

        _broken = true;
        Span<GnuSparseEntry> inHeader = stackalloc GnuSparseEntry[Math.Min(map.Count, TarHeader.OldGnuSparseEntries)];
        map.CopyTo(0, inHeader);
        WriteHeader(new TarHeader
        {
            NameBytes = plain.NameBytes,
            TypeFlag = TarHeader.GnuSparseType,
            Size = map.DataBytes,
            Mode = plain.Mode,
            MtimeSeconds = plain.MtimeSeconds,
            Format = TarFormat.Gnu,
            SparseEntries = inHeader.ToArray(),
            IsExtended = map.Count > inHeader.Length,
            RealSize = length,
        });
        WriteExtensionBlocks(map);
        long stored = 0;
        byte[] buffer = Buffer;
        for (int i = 0; i < map.Count; i++)
        {
            GnuSparseEntry entry = map[i];
            for (long pos = entry.Offset; pos < entry.End;)
            {
                cancellation.ThrowIfCancellationRequested();
                int n = (int)Math.Min(buffer.Length, entry.End - pos);
                file.Read(pos, buffer.AsSpan(0, n));
                Write(buffer.AsSpan(0, n));
                pos += n;
                stored += n;
                progress?.Invoke(stored);
            }
        }
        if (file.Length != length)
            throw new IOException($"{hostPath}: the file changed length while it was being archived");
        WritePadding(map.DataBytes);
        _broken = false;
    }

    /// <summary>Ends the archive: two zero blocks, then zeros to a multiple of <see cref="RecordSize"/>. Once.</summary>
    public void Finish()
    {
        EnsureWritable();
        _broken = true;
        long end = _position + 2 * TarHeader.BlockSize;
        WriteZeros((end + RecordSize - 1) / RecordSize * RecordSize - _position);
        _output.Flush();
        _finished = true;
        _broken = false;
    }

    /// <summary>Finishes the archive unless a member failed part way, then closes the output unless left open.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        try
        {
            if (!_finished && !_broken) Finish();
        }
        finally
        {
            _disposed = true;
            if (!_leaveOpen) _output.Dispose();
        }
    }

    private byte[] Buffer => _buffer ??= new byte[CopySize];

    private void EnsureWritable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_finished) throw new InvalidOperationException("the tar archive is already finished");
        if (_broken) throw new InvalidOperationException("the tar archive is unusable: adding a member failed part way");
    }

    private TarHeader Header(string name, long size, int mode)
    {
        if (mode is < 0 or > 0b111_111_111_111)
            throw new ArgumentOutOfRangeException(nameof(mode), $"mode {Convert.ToString(mode, 8)} is not a set of permission bits (0..07777)");
        TarMemberName parsed = TarMemberName.Parse(name, _format);
        return new TarHeader
        {
            NameBytes = parsed.Name,
            PrefixBytes = parsed.Prefix,
            TypeFlag = TarHeader.RegularType,
            Size = size,
            Mode = mode,
            MtimeSeconds = _mtime,
            Format = _format,
            ZeroDeviceNumbers = _format == TarFormat.Ustar,
        };
    }

    private void WriteExtensionBlocks(GnuSparseMap map)
    {
        Span<byte> block = stackalloc byte[TarHeader.BlockSize];
        Span<GnuSparseEntry> entries = stackalloc GnuSparseEntry[GnuSparseExtensionBlock.Entries];
        for (int next = TarHeader.OldGnuSparseEntries; next < map.Count;)
        {
            int n = Math.Min(GnuSparseExtensionBlock.Entries, map.Count - next);
            map.CopyTo(next, entries[..n]);
            next += n;
            GnuSparseExtensionBlock.Write(block, entries[..n], isExtended: next < map.Count);
            Write(block);
        }
    }

    private void WriteHeader(TarHeader header)
    {
        Span<byte> block = stackalloc byte[TarHeader.BlockSize];
        header.WriteTo(block);
        Write(block);
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        _output.Write(bytes);
        _position += bytes.Length;
    }

    private void WritePadding(long written) => WriteZeros((TarHeader.BlockSize - written % TarHeader.BlockSize) % TarHeader.BlockSize);

    private void WriteZeros(long count)
    {
        ReadOnlySpan<byte> zeros = ZeroBuffer.Span((int)Math.Min(count, CopySize));
        for (; count > 0; count -= Math.Min(count, zeros.Length))
            Write(zeros[..(int)Math.Min(count, zeros.Length)]);
    }
}
