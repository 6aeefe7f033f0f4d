namespace ImageBuild.Engine.Host;

/// <summary>
/// The lock bytes one open image file holds, kept compatible with qemu: byte 100+i while holding permission i,
/// byte 200+i while not sharing it. Acquire-then-test, rolling back on conflict, as file-posix does.
/// </summary>
public sealed class ImageLock
{
    private const int PermBase = 100;
    private const int SharedBase = 200;
    private const int Bits = 4;

    private readonly HostFile _file;
    private readonly HashSet<int> _held = [];

    internal ImageLock(HostFile file) => _file = file;

    /// <summary>The bytes currently locked (for tests and diagnostics).</summary>
    public IReadOnlyCollection<int> HeldBytes => _held;

    /// <summary>Takes the locks for <paramref name="request"/>, or throws qemu's "Failed to get ... lock" error.</summary>
    public void Apply(LockRequest request)
    {
        int fd = _file.Fd;
        if (!OfdLock.Supported(fd))
            return;

        var wanted = new HashSet<int>();
        for (int i = 0; i < Bits; i++)
        {
            var bit = (BlockPermission)(1 << i);
            if ((request.Perm & bit) != 0) wanted.Add(PermBase + i);
            if ((request.Shared & bit) == 0) wanted.Add(SharedBase + i);
        }

        var added = new List<int>();
        foreach (int b in wanted)
        {
            if (_held.Contains(b)) continue;
            if (!OfdLock.Lock(fd, b))
            {
                Rollback(fd, added);
                throw Conflict(shared: b >= SharedBase, b % 100);
            }
            added.Add(b);
            _held.Add(b);
        }

        for (int i = 0; i < Bits; i++)
        {
            var bit = (BlockPermission)(1 << i);
            if ((request.Perm & bit) != 0 && OfdLock.HeldByOther(fd, SharedBase + i))
            {
                Rollback(fd, added);
                throw Conflict(shared: false, i);
            }
            if ((request.Shared & bit) == 0 && OfdLock.HeldByOther(fd, PermBase + i))
            {
                Rollback(fd, added);
                throw Conflict(shared: true, i);
            }
        }

        foreach (int b in _held.Except(wanted).ToList())
        {
            OfdLock.Unlock(fd, b);
            _held.Remove(b);
        }
    }

    /// <summary>Releases every lock byte this file holds.</summary>
    public void Release()
    {
        int fd = _file.Fd;
        foreach (int b in _held) OfdLock.Unlock(fd, b);
        _held.Clear();
    }

    private void Rollback(int fd, List<int> added)
    {
        foreach (int b in added)
        {
            OfdLock.Unlock(fd, b);
            _held.Remove(b);
        }
    }

    private ImageException Conflict(bool shared, int bit) =>
        new($"Failed to get {(shared ? "shared " : "")}\"{LockRequest.Name(bit)}\" lock\nIs another process using the image [{_file.Path}]?");
}
