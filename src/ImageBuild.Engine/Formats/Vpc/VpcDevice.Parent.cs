using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Formats.Vpc;

public sealed partial class VpcDevice
{
    /// <summary>The sector bitmap of the block last looked at (differencing reads and writes).</summary>
    private byte[]? _bitmap;
    private uint _bitmapEntry = VpcBat.Unallocated;

    /// <summary>The parent names the header stores, as read, for messages and rebase.</summary>
    private readonly List<(int Index, VpcParentLocator Locator, string Name)> _parentNames = [];

    /// <summary>
    /// Reads the parent locators of a differencing disk (spec: "Parent Locator Entries"; W2ru and W2ku in UTF-16LE,
    /// Wi2r/Wi2k and the MacX file URL in UTF-8, Mac aliases ignored) and the parent unicode name, and chooses the
    /// parent among them in that order (<see cref="ParentPath.Choose"/>). A locator whose data lies outside the file
    /// is refused. Returns the end of the locator data (no block may be placed before it); blocks are placed after it.
    /// </summary>
    private long OpenParentLocators(OpenRequest request, long length, ref long free)
    {
        var header = _header!;
        long end = 0;
        var data = new byte[VpcParentLocator.MaxDataLength];
        for (int i = 0; i < VpcDynamicHeader.ParentLocatorCount; i++)
        {
            var loc = header.GetLocator(i);
            if (!loc.IsPath || loc.DataLength == 0)
                continue;
            if (loc.DataLength > VpcParentLocator.MaxDataLength || loc.DataOffset > (ulong)length || loc.DataOffset + loc.DataLength > (ulong)length)
                throw new ImageCorruptException(
                    $"parent locator {i} ({loc.CodeText}) at offset {loc.DataOffset} ({loc.DataLength} bytes) lies outside the file ({length} bytes)");
            var span = data.AsSpan(0, (int)loc.DataLength);
            _file.Read((long)loc.DataOffset, span);
            _parentNames.Add((i, loc, loc.Decode(span)));
            end = Math.Max(end, ((long)loc.DataOffset + loc.DataLength + 511) & ~511L);
        }
        free = Math.Max(free, end);

        string? Named(uint code)
        {
            foreach (var p in _parentNames)
                if (p.Locator.PlatformCode == code && p.Name.Length > 0)
                    return p.Name;
            return null;
        }
        string unicodeName = header.ParentUnicodeName;
        string? chosen = ParentPath.Choose(Filename,
        [
            Named(VpcParentLocator.W2ru), Named(VpcParentLocator.W2ku), Named(VpcParentLocator.MacX),
            Named(VpcParentLocator.Wi2r), Named(VpcParentLocator.Wi2k), unicodeName,
        ]);
        if (chosen is null && request.Options?.NoBacking != true)
        {
            var stored = new List<string>();
            foreach (var p in _parentNames)
                stored.Add($"{p.Locator.CodeText} '{p.Name}'");
            if (unicodeName.Length > 0)
                stored.Add($"unicode name '{unicodeName}'");
            throw new ImageException(stored.Count == 0
                ? "differencing VHD names no parent"
                : $"differencing VHD names its parent in no form this host can open: {string.Join(", ", stored)}");
        }
        BackingFilename = chosen;
        BackingFormat = chosen is null ? null : "vpc";
        return end;
    }

    /// <summary>The parent found must be the VHD whose footer Unique Id the child's header records.</summary>
    protected internal override void CheckBackingIdentity(BlockDevice backing)
    {
        if (!IsDifferencing)
            return;
        if (backing is not VpcDevice parent)
            throw new ImageException(
                $"parent '{backing.Filename}' of differencing VHD '{Filename}' is a {backing.FormatName} image; the parent of a differencing VHD must be a VHD (vpc)");
        Guid expected = _header!.ParentUniqueId;
        if (parent.UniqueId != expected)
            throw new ImageException(
                $"parent '{backing.Filename}' has UUID {parent.UniqueId}, but differencing VHD '{Filename}' records parent UUID {expected}");
    }

    /// <summary>The sector bitmap of the block at <paramref name="entry"/> (cached for the last block).</summary>
    private byte[] Bitmap(uint entry)
    {
        if (_bitmap is not null && _bitmapEntry == entry)
            return _bitmap;
        _bitmap ??= new byte[_bitmapSize];
        _bitmapEntry = VpcBat.Unallocated;
        _file.Read(BlockOffset(entry), _bitmap);
        _bitmapEntry = entry;
        return _bitmap;
    }

    /// <summary>Bit of <paramref name="sector"/> (within its block): set means the sector is in this file (spec: MSB first).</summary>
    private static bool IsSet(byte[] bitmap, int sector) => (bitmap[sector >> 3] & (0x80 >> (sector & 7))) != 0;

    private static void SetBit(Span<byte> bitmap, int sector) => bitmap[sector >> 3] |= (byte)(0x80 >> (sector & 7));

    /// <summary>Whether <paramref name="first"/> is set, and how many sectors from it up to <paramref name="end"/> share that.</summary>
    private (bool Set, int Run) BitmapRun(uint entry, int first, int end)
    {
        byte[] bitmap = Bitmap(entry);
        bool set = IsSet(bitmap, first);
        int s = first + 1;
        while (s < end)
        {
            // whole bytes at once where the run continues over them
            if ((s & 7) == 0 && s + 8 <= end && bitmap[s >> 3] == (set ? 0xFF : 0x00))
            {
                s += 8;
                continue;
            }
            if (IsSet(bitmap, s) != set)
                break;
            s++;
        }
        return (set, s - first);
    }

    /// <summary>Reads part of an allocated block of a differencing disk: set sectors from this file, the others from the parent.</summary>
    private void ReadDifferencingBlock(uint entry, long offset, int inBlock, Span<byte> dest)
    {
        int firstSector = inBlock / 512;
        int endSector = (inBlock + dest.Length + 511) / 512;
        long dataStart = BlockOffset(entry) + _bitmapSize;
        while (!dest.IsEmpty)
        {
            var (set, run) = BitmapRun(entry, firstSector, endSector);
            int n = Math.Min(dest.Length, run * 512 - inBlock % 512);
            if (set)
                _file.Read(dataStart + inBlock, dest[..n]);
            else
                ReadBacking(offset, dest[..n]);
            dest = dest[n..];
            offset += n;
            inBlock += n;
            firstSector += run;
        }
    }
}
