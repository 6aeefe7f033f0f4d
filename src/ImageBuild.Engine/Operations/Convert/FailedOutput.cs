namespace ImageBuild.Engine.Operations;

/// <summary>
/// Removes a file a failed operation created, where it really is: the target of a failed convert (qemu-img leaves it;
/// we delete it so that nothing half-written looks valid) and the files of a failed qcow2 create (qemu deletes those
/// too). When the name is a symbolic link (ours to follow, not to remove), the file it leads to is what we wrote and
/// is what goes: deleting the link would leave the partial file filling its disk. Only a regular file is removed.
/// </summary>
public static class FailedOutput
{
    public static void Remove(string path)
    {
        try
        {
            var info = new FileInfo(path);
            FileSystemInfo real = info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) ?? info;
            if (real is FileInfo { Exists: true } file && !file.Attributes.HasFlag(FileAttributes.Directory))
                file.Delete();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // best effort: the operation's own error is what the user needs to see
        }
    }
}
