using ImageBuild.Engine.Block;

namespace ImageBuild.Engine.Formats.Vpc;

public sealed partial class VpcDevice
{
    /// <summary>
    /// rebase of a differencing disk (beyond qemu, which cannot change a VHD's parent): the header's parent Unique Id,
    /// time stamp and unicode name, and the W2ru/W2ku locators rewritten in their place (their data first, flushed,
    /// then the header). The new parent must be a VHD. Removing the parent (rebase -b "") makes the disk dynamic.
    /// Other VHDs are refused as qemu refuses them.
    /// </summary>
    public override void ChangeBackingFile(string? backingFile, string? backingFormat)
    {
        if (!IsDifferencing)
            throw new ImageException("Operation not supported");
        var header = _header!;
        if (string.IsNullOrEmpty(backingFile))
        {
            MakeDynamic(header);
            return;
        }
        var link = VpcParentLink.Read(Filename, backingFile, backingFormat);
        var writes = new List<(long Offset, byte[] Data)>();
        bool any = false;
        for (int i = 0; i < VpcDynamicHeader.ParentLocatorCount; i++)
        {
            var loc = header.GetLocator(i);
            byte[]? data = loc.PlatformCode switch
            {
                VpcParentLocator.W2ru => link.W2ruData,
                VpcParentLocator.W2ku => link.W2kuData,
                _ => null,
            };
            if (data is null)
                continue;
            // a space under a sector is counted in sectors (the 1.0 specification's unit); Windows counts bytes
            long room = loc.DataSpace < 512 ? loc.DataSpace * 512L : loc.DataSpace;
            if (data.Length > room)
                throw new ImageException(
                    $"the new parent name does not fit in parent locator {i} ({loc.CodeText}) of '{Filename}' ({room} bytes)");
            var padded = new byte[(int)Math.Min(room, Math.Max(data.Length, loc.DataLength))];
            data.CopyTo(padded, 0);
            writes.Add(((long)loc.DataOffset, padded));
            header.SetLocator(i, loc with { DataLength = (uint)data.Length });
            any = true;
        }
        if (!any)
            throw new ImageException($"'{Filename}' has no W2ru or W2ku parent locator to rewrite");
        foreach (var (offset, data) in writes)
            _file.Write(offset, data);
        _file.Flush();
        link.ApplyTo(header);
        header.UpdateChecksum();
        _file.Write((long)_footer.DataOffset, header.Bytes);
        BackingFilename = backingFile;
        BackingFormat = "vpc";
    }

    /// <summary>
    /// A differencing disk whose parent was removed (its data copied in by a safe rebase) becomes a dynamic disk: the
    /// header's parent fields and locators cleared, then both footers say type 3.
    /// </summary>
    private void MakeDynamic(VpcDynamicHeader header)
    {
        header.ParentUniqueId = Guid.Empty;
        header.ParentTimestamp = 0;
        header.ParentUnicodeName = "";
        for (int i = 0; i < VpcDynamicHeader.ParentLocatorCount; i++)
            header.SetLocator(i, default);
        header.UpdateChecksum();
        _file.Write((long)_footer.DataOffset, header.Bytes);
        _file.Flush();
        _footer.DiskType = VpcDiskType.Dynamic;
        _footer.UpdateChecksum();
        _file.Write(_freeDataBlockOffset, _footer.Bytes);
        _file.Write(0, _footer.Bytes);
        BackingFilename = null;
        BackingFormat = null;
    }
}
