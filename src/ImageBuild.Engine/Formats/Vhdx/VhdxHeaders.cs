using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Formats.Vhdx;

/// <summary>
/// The header pair and which one is current (VHDX 1.0 §2.2.2.1), with qemu's rules: a header is valid when its
/// checksum, signature and version are right; of two valid headers the one with the higher sequence number is
/// current; equal sequence numbers are accepted only when the headers are identical (Disk2VHD writes them so),
/// otherwise, as with no valid header, the open fails "No valid VHDX header found".
/// Updates follow §2.2.2.1 as qemu's vhdx_update_header does: the non-current header gets the current sequence
/// number + 1, the session's file write GUID (and a new data write GUID, a log GUID when asked), is written and
/// flushed, and becomes current; qemu always updates twice so that both headers are valid.
/// </summary>
internal sealed class VhdxHeaders
{
    private readonly VhdxHeader[] _headers;

    private VhdxHeaders(VhdxHeader h1, VhdxHeader h2, int current)
    {
        _headers = [h1, h2];
        CurrentIndex = current;
    }

    public int CurrentIndex { get; private set; }

    public VhdxHeader Current => _headers[CurrentIndex];

    public static VhdxHeaders Read(VhdxFileView file)
    {
        var buffer = new byte[VhdxHeader.Size];
        file.Read(VhdxHeader.Header1Offset, buffer);
        var h1 = VhdxHeader.Parse(buffer);
        file.Read(VhdxHeader.Header2Offset, buffer);
        var h2 = VhdxHeader.Parse(buffer);
        int current;
        if (h1.IsValid && !h2.IsValid)
            current = 0;
        else if (!h1.IsValid && h2.IsValid)
            current = 1;
        else if (!h1.IsValid && !h2.IsValid)
            throw NoValidHeader();
        else if (h1.SequenceNumber > h2.SequenceNumber)
            current = 0;
        else if (h2.SequenceNumber > h1.SequenceNumber)
            current = 1;
        else if (h1.ToBytes().AsSpan().SequenceEqual(h2.ToBytes()))
            current = 0;
        else
            throw NoValidHeader();
        return new VhdxHeaders(h1, h2, current);
    }

    /// <summary>The pair a new image starts with (qemu's vhdx_create_new_headers): the same header twice, sequence numbers n and n+1.</summary>
    public static VhdxHeaders ForNewImage(VhdxHeader first)
    {
        var second = first.Clone();
        second.SequenceNumber = first.SequenceNumber + 1;
        return new VhdxHeaders(first, second, 1);
    }

    public VhdxHeader this[int index] => _headers[index];

    private static ImageException NoValidHeader() => new("No valid VHDX header found") { Errno = VhdxErrors.EINVAL };

    /// <summary>qemu's vhdx_update_headers: two single updates.</summary>
    public void UpdateBoth(HostFile file, Guid sessionGuid, Func<Guid>? newDataWriteGuid, Guid? logGuid)
    {
        UpdateOne(file, sessionGuid, newDataWriteGuid, logGuid);
        UpdateOne(file, sessionGuid, newDataWriteGuid, logGuid);
    }

    private void UpdateOne(HostFile file, Guid sessionGuid, Func<Guid>? newDataWriteGuid, Guid? logGuid)
    {
        int target = 1 - CurrentIndex;
        var active = _headers[CurrentIndex];
        var inactive = _headers[target];
        var updated = inactive.Clone();
        updated.SequenceNumber = active.SequenceNumber + 1;
        updated.FileWriteGuid = sessionGuid;
        if (newDataWriteGuid is not null)
            updated.DataWriteGuid = newDataWriteGuid();
        if (logGuid is { } g)
            updated.LogGuid = g;
        // an invalid header being replaced keeps whatever it held; its log fields come from the active one
        if (!inactive.IsValid)
        {
            updated.LogOffset = active.LogOffset;
            updated.LogLength = active.LogLength;
            updated.LogVersion = active.LogVersion;
            updated.Version = 1;
            if (logGuid is null) updated.LogGuid = active.LogGuid;
            if (newDataWriteGuid is null) updated.DataWriteGuid = active.DataWriteGuid;
        }
        file.Write(target == 0 ? VhdxHeader.Header1Offset : VhdxHeader.Header2Offset, updated.ToBytes());
        file.Flush();
        _headers[target] = updated;
        CurrentIndex = target;
    }

    /// <summary>Writes both headers of a new image (no flush between: the file is being created).</summary>
    public void WriteNew(HostFile file)
    {
        file.Write(VhdxHeader.Header1Offset, _headers[0].ToBytes());
        file.Write(VhdxHeader.Header2Offset, _headers[1].ToBytes());
    }
}
