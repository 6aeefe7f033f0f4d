using ImageBuild.Engine.Block;
using ImageBuild.Engine.Info;

namespace ImageBuild.Engine.Operations;

/// <summary>
/// qemu-img snapshot after argument checks: opens the image (read-only for -l, read-write otherwise, probing the
/// format) and lists, creates, reverts to or deletes an internal snapshot, with qemu-img's messages.
/// </summary>
public static class ImageSnapshotter
{
    /// <summary>Runs the request; for <see cref="SnapshotAction.List"/> returns the snapshots (empty otherwise).</summary>
    public static IReadOnlyList<SnapshotInfo> Run(ImageContext context, SnapshotRequest request)
    {
        bool writable = request.Action != SnapshotAction.List;
        using var device = ImageOpener.Open(context, request.Filename,
            new OpenOptions { Writable = writable, ForceShare = request.ForceShare });
        string name = request.Snapshot ?? "";
        switch (request.Action)
        {
            case SnapshotAction.List:
                return device.Snapshots;
            case SnapshotAction.Create:
                try
                {
                    device.CreateSnapshot(NewSnapshot.Now(name, request.Date ?? context.Identity.ForImage(device.Filename).Timestamp));
                }
                catch (ImageException e)
                {
                    int errno = e is SnapshotException ? e.Errno : SnapshotException.EIO;
                    var lines = new List<string>();
                    // A bare I/O error (a write refused by qcow2's overlap check) has said all it has to say.
                    if (e is SnapshotException se) lines.AddRange(se.ReportedFirst);
                    else if (e.Message != SnapshotException.StrError(SnapshotException.EIO)) lines.Add(e.Message);
                    lines.Add($"Could not create snapshot '{name}': {-errno} ({SnapshotException.StrError(errno)})");
                    throw new ErrorReportsException(lines, e);
                }
                break;
            case SnapshotAction.Apply:
                // qemu reverts a raw image through its file node, closing and reopening the raw driver, which
                // repeats the probing warning before the failure is reported.
                if (device.FormatName == "raw")
                    context.Warn(ImageOpener.ProbedRawWarning(request.Filename));
                Report(() => device.GotoSnapshot(name), $"Could not apply snapshot '{name}': ", "Failed to load snapshot: ");
                break;
            case SnapshotAction.Delete:
                {
                    // qemu-img looks the snapshot up by name only, then deletes the one with that id and name.
                    var found = device.Snapshots.FirstOrDefault(s => s.Name == name)
                        ?? throw new ImageException($"Could not delete snapshot '{name}': snapshot not found");
                    Report(() => device.DeleteSnapshot(found.Id, found.Name), $"Could not delete snapshot '{name}': ", "");
                    break;
                }
        }
        device.Flush();
        return [];
    }

    /// <summary>Runs a driver call; a failure becomes qemu's "prefix: reason" (metadata errors as an I/O error after their own line).</summary>
    private static void Report(Action action, string prefix, string ioPrefix)
    {
        try
        {
            action();
        }
        catch (SnapshotException e)
        {
            throw new ErrorReportsException([.. e.ReportedFirst, prefix + e.Message], e);
        }
        catch (ImageException e)
        {
            throw new ErrorReportsException([e.Message, prefix + ioPrefix + SnapshotException.StrError(SnapshotException.EIO)], e);
        }
    }

    /// <summary>
    /// Loads a snapshot of a source for reading (convert/measure -l): <paramref name="param"/> is either
    /// "snapshot.id=ID,snapshot.name=NAME" (both optional) or an id or name (tried as id first).
    /// Failures read "Failed to load snapshot: reason".
    /// </summary>
    public static void LoadForReading(BlockDevice device, string param)
    {
        try
        {
            var sel = SnapshotSelector.Parse(param);
            if (sel.IdOrName is { } idOrName)
            {
                try
                {
                    device.LoadSnapshotTemporarily(idOrName, null);
                }
                catch (SnapshotException e) when (e.Errno is SnapshotException.ENOENT or SnapshotException.EINVAL)
                {
                    device.LoadSnapshotTemporarily(null, idOrName);
                }
            }
            else
            {
                device.LoadSnapshotTemporarily(sel.Id, sel.Name);
            }
        }
        catch (ImageException e) when (e is not ErrorReportsException)
        {
            throw new ImageException("Failed to load snapshot: " + e.Message, e);
        }
    }
}
