using System.Buffers.Binary;

namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>What qemu checks about persistent bitmaps whenever it opens an image (qcow2_read_extensions, qcow2_load_dirty_bitmaps).</summary>
public sealed partial class Qcow2Device
{
    /// <summary>
    /// qcow2_read_extensions for the bitmaps extension: the length always; the fields only when the autoclear bit
    /// says the bitmaps are valid (otherwise they are dropped with a warning later).
    /// </summary>
    private (ulong Offset, ulong Size, uint Count) ReadBitmapsExtension(byte[] data)
    {
        if (data.Length != 24)
            throw new ImageException("bitmaps_ext: Invalid extension length");
        uint count = BinaryPrimitives.ReadUInt32BigEndian(data);
        ulong size = BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(8));
        ulong offset = BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(16));
        if ((Header.AutoclearFeatures & Qcow2Header.AutoclearBitmaps) != 0)
        {
            if (BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(4)) != 0)
                throw new ImageException("bitmaps_ext: Reserved field is not zero");
            if (count > BitmapDirectoryEntry.MaxBitmaps)
                throw new ImageException($"bitmaps_ext: Image has {count} bitmaps, exceeding the QEMU supported maximum of {BitmapDirectoryEntry.MaxBitmaps}");
            if (count == 0)
                throw new ImageException("found bitmaps extension with zero bitmaps");
            if ((offset & (ulong)(ClusterSizeInt - 1)) != 0)
                throw new ImageException("bitmaps_ext: invalid bitmap directory offset");
            if (size > BitmapDirectoryEntry.MaxDirectorySize)
                throw new ImageException($"bitmaps_ext: bitmap directory size ({size}) exceeds the maximum supported size ({BitmapDirectoryEntry.MaxDirectorySize})");
        }
        return (offset, size, count);
    }

    /// <summary>
    /// What qcow2_load_dirty_bitmaps checks at every open: names are unique, and each consistent (not in_use)
    /// bitmap has a valid table of exactly the size its granularity and the disk size need. Past the end of the
    /// file a table reads as zeros here, as in qemu.
    /// </summary>
    private void ValidateBitmapsForLoad()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in Bitmaps)
        {
            bool inUse = (e.Flags & BitmapDirectoryEntry.FlagInUse) != 0;
            if (!names.Add(e.Name))
            {
                if (inUse) continue;
                throw new ImageException($"Bitmap already exists: {e.Name}");
            }
            if (inUse) continue;
            var bytes = new byte[(long)e.TableSize * 8];
            _file.Read((long)e.TableOffset, bytes);
            for (int i = 0; i < e.TableSize; i++)
            {
                ulong t = BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(i * 8));
                ulong off = t & BitmapTable.OffsetMask;
                if ((t & BitmapTable.ReservedMask) != 0 || off != 0 && ((t & BitmapTable.AllOnes) != 0 || (off & (ulong)(ClusterSizeInt - 1)) != 0))
                    throw new ImageException($"Could not read bitmap_table table from image for bitmap '{e.Name}': Invalid argument");
            }
            // hbitmap's serialization: whole 64-bit words of bits.
            long bits = (VirtualSize + (1L << e.GranularityBits) - 1) >> e.GranularityBits;
            if (TableSizeFor((bits + 63) / 64 * 8) != e.TableSize)
                throw new ImageException($"Could not read bitmap '{e.Name}' from image: Invalid argument");
        }
    }
}
