using ImageBuild.Filesystems.Trees;

namespace ImageBuild.Filesystems.Iso9660;

/// <summary>
/// Writes an ISO 9660 (ECMA-119) image from a <see cref="FileTree"/>, with Rock Ridge (IEEE P1282 over SUSP) in the
/// primary hierarchy and a Joliet hierarchy, as <c>genisoimage -R -J</c> makes them (the cloud-init NoCloud seed,
/// volume "cidata", is the first use). Identifiers of the primary hierarchy follow level 3 rules in d-characters
/// (Rock Ridge NM carries the real names); Joliet names longer than 64 characters are truncated, as genisoimage does.
/// Dates all come from <see cref="IsoOptions.TimestampSeconds"/>, so the same tree and options give the same bytes.
/// Directories deeper than ECMA-119's 8 levels are written as they are (no Rock Ridge RE/CL relocation), which
/// xorriso and isoinfo read.
/// </summary>
public static class IsoWriter
{
    /// <summary>
    /// Writes the whole image to <paramref name="output"/>, from its current position, sequentially (the size is
    /// known before writing); file contents are streamed. Refuses files of 4 GiB or more, names longer than 255 bytes
    /// and symlinks without Rock Ridge (<see cref="IOException"/>, naming the path) before writing anything. When
    /// writing fails later (a source file changed size, I/O error, cancellation) the descriptor blocks already written
    /// are zeroed again if the stream can seek, and the caller must delete the partial output in any case.
    /// </summary>
    public static IsoResult Write(Stream output, FileTree tree, IsoOptions options,
        Action<double>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        var layout = new IsoLayout(tree, options);
        long start = output.CanSeek ? output.Position : -1;
        var sink = new BlockSink(output, layout.Size, progress, cancellation);
        try
        {
            WriteMetadata(sink, layout);
            var buffer = new byte[1 << 20];
            foreach (var file in layout.FileNodes) WriteContent(sink, file, buffer);
            if (sink.Written != layout.Size) throw new InvalidOperationException($"wrote {sink.Written} bytes of a {layout.Size}-byte layout");
            progress?.Invoke(1.0);
            return new IsoResult(layout.Size, layout.FileNodes.Count);
        }
        catch when (start >= 0 && sink.Written > 16 * IsoFields.BlockSize)
        {
            Invalidate(output, start, sink.Written);
            throw;
        }
    }

    /// <summary>The image's size in bytes for this tree, without writing (it applies the same refusals).</summary>
    public static long MeasureSize(FileTree tree, IsoOptions options) => new IsoLayout(tree, options).Size;

    private static void WriteMetadata(BlockSink sink, IsoLayout layout)
    {
        var block = new byte[IsoFields.BlockSize];
        for (int i = 0; i < 16; i++) sink.Write(block);

        foreach (var h in layout.Hierarchies)
        {
            var root = h.Value.Directories[0];
            var rec = new byte[34];
            DirectoryRecord.Write(rec, root.Extent, root.Size, layout.Date, true, [0], []);
            VolumeDescriptor.Write(block, h.Value.Joliet,
                h.Value.Joliet ? VolumeDescriptor.JolietVolumeId(layout.Options.VolumeLabel) : VolumeDescriptor.PrimaryVolumeId(layout.Options.VolumeLabel),
                layout.TotalBlocks, h.PathTableSize, h.LTable, h.MTable, rec, layout.Date);
            sink.Write(block);
        }
        VolumeDescriptor.WriteTerminator(block);
        sink.Write(block);

        var record = new byte[PathTableRecord.Length(255)];
        foreach (var h in layout.Hierarchies)
            foreach (bool big in new[] { false, true })
            {
                var table = new BlockBuffer(sink);
                foreach (var d in h.Value.Directories)
                {
                    int len = PathTableRecord.Length(d.Id.Length);
                    PathTableRecord.Write(record, big, d.Extent, d.ParentNumber, d.Id);
                    table.Append(record.AsSpan(0, len));
                }
                table.Finish();
            }

        foreach (var h in layout.Hierarchies)
            foreach (var d in h.Value.Directories) WriteDirectory(sink, layout, h.Value, d);

        var ce = new byte[IsoFields.BlockSize];
        long current = layout.ContinuationStart;
        foreach (var d in layout.Primary.Directories)
            foreach (var r in d.Records)
                if (r.SystemUse is { } su)
                    for (int i = 0; i < su.Areas.Count; i++)
                    {
                        if (su.AreaBlocks[i] != current) { sink.Write(ce); Array.Clear(ce); current++; }
                        su.AreaBytes(i).CopyTo(ce, su.AreaOffsets[i]);
                    }
        if (layout.ContinuationBlocks > 0) sink.Write(ce);
    }

    private static void WriteDirectory(BlockSink sink, IsoLayout layout, IsoHierarchy h, IsoHierarchy.Directory d)
    {
        var block = new byte[IsoFields.BlockSize];
        int current = 0;
        foreach (var r in d.Records)
        {
            if (r.Block != current) { sink.Write(block); Array.Clear(block); current++; }
            long extent, length;
            if (r.Target.IsDirectory) { var t = h.ByNode[r.Target]; extent = t.Extent; length = t.Size; }
            else { extent = r.Target.Extent; length = r.Target.DataSize; }
            DirectoryRecord.Write(block.AsSpan(r.Offset), extent, length, layout.Date, r.Target.IsDirectory, r.Id,
                r.SystemUse?.RecordBytes() ?? []);
        }
        sink.Write(block);
    }

    private static void WriteContent(BlockSink sink, IsoNode file, byte[] buffer)
    {
        if (file.DataSize == 0) return;
        var entry = file.Entry!;
        using var source = FileTree.Open(entry);
        long left = entry.Size;
        while (left > 0)
        {
            int n = source.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0) throw new IOException($"'{entry.Path}': the content ended {left} bytes short of its {entry.Size}-byte size");
            sink.Write(buffer.AsSpan(0, n));
            left -= n;
        }
        if (source.Read(buffer, 0, 1) != 0) throw new IOException($"'{entry.Path}': the content is longer than its {entry.Size}-byte size");
        int tail = (int)(entry.Size % IsoFields.BlockSize);
        if (tail != 0) sink.Write(new byte[IsoFields.BlockSize - tail]);
    }

    /// <summary>Zeroes the volume descriptors already written, so no reader takes the partial output for a volume.</summary>
    private static void Invalidate(Stream output, long start, long written)
    {
        try
        {
            output.Position = start + 16 * IsoFields.BlockSize;
            output.Write(new byte[Math.Min(3 * IsoFields.BlockSize, written - 16 * IsoFields.BlockSize)]);
            output.Flush();
        }
        catch (IOException) { }
        catch (NotSupportedException) { }
        catch (ObjectDisposedException) { }
    }

    /// <summary>The output with a byte count, progress reports and cancellation checks.</summary>
    private sealed class BlockSink(Stream output, long total, Action<double>? progress, CancellationToken cancellation)
    {
        public long Written { get; private set; }

        public void Write(ReadOnlySpan<byte> data)
        {
            cancellation.ThrowIfCancellationRequested();
            output.Write(data);
            Written += data.Length;
            progress?.Invoke((double)Written / total);
        }
    }

    /// <summary>Path table bytes gathered into blocks, the last one padded with zeros.</summary>
    private sealed class BlockBuffer(BlockSink sink)
    {
        private readonly byte[] _block = new byte[IsoFields.BlockSize];
        private int _used;

        public void Append(ReadOnlySpan<byte> data)
        {
            while (data.Length > 0)
            {
                int n = Math.Min(data.Length, _block.Length - _used);
                data[..n].CopyTo(_block.AsSpan(_used));
                _used += n; data = data[n..];
                if (_used == _block.Length) { sink.Write(_block); _used = 0; }
            }
        }

        public void Finish()
        {
            if (_used == 0) return;
            Array.Clear(_block, _used, _block.Length - _used);
            sink.Write(_block);
            _used = 0;
        }
    }
}
