using ImageBuild.Engine.Host;

namespace ImageBuild.Engine.Block;

/// <summary>Opens images by path: probes the format, opens the driver, resolves and opens the backing chain.</summary>
public static class ImageOpener
{
    /// <summary>qemu reads this much for probing (BLOCK_PROBE_BUF_SIZE).</summary>
    public const int ProbeSize = 512;

    /// <summary>Deepest backing chain we follow before refusing (guards hostile images).</summary>
    public const int MaxChainDepth = 1000;

    /// <summary>
    /// Opens an image and its backing chain as qemu-img does (a block backend over the node): every failure reads
    /// "Could not open 'F': reason".
    /// </summary>
    public static BlockDevice Open(ImageContext context, string filename, OpenOptions options)
    {
        if (options.ForceShare && options.Writable)
            throw new ImageException($"Could not open '{filename}': force-share=on can only be used with read-only images");
        if (context.ReadWithoutBacking && !options.Writable)
            options = options with { NoBacking = true };
        try
        {
            return OpenNode(context, filename, options);
        }
        catch (ImageException e) when (e is not FormatNotSupportedException)
        {
            throw new ImageException($"Could not open '{filename}': {e.Message}", e);
        }
    }

    /// <summary>qemu's warning when a writable image is probed as raw (raw_open prints it on every open).</summary>
    public static string ProbedRawWarning(string filename) =>
        $"WARNING: Image format was not specified for '{filename}' and probing guessed raw.\n" +
        "         Automatically detecting the format is dangerous for raw images, write operations on block 0 will be restricted.\n" +
        "         Specify the 'raw' format explicitly to remove the restrictions.";

    /// <summary>
    /// Opens an image and its backing chain as a bare node (qemu's bdrv_open): failures carry the node's own
    /// message, e.g. "Could not open 'F': No such file or directory" or "Image is not in qcow2 format". Used where
    /// qemu opens below the block-backend layer (backing files of create and rebase).
    /// </summary>
    public static BlockDevice OpenNode(ImageContext context, string filename, OpenOptions options) =>
        OpenAny(context, filename, options, new HashSet<string>(StringComparer.Ordinal), 0, referencedBy: null);

    /// <summary>
    /// Opens a name that may stand for open options (an --image-opts argument registered in the context, a json:
    /// filename) or be a plain file name; <paramref name="referencedBy"/> is the image naming it as its backing file.
    /// </summary>
    private static BlockDevice OpenAny(ImageContext context, string name, OpenOptions options, HashSet<string> visited, int depth, string? referencedBy)
    {
        BlockOptions? given = context.ImageOptionsFor(name) ?? (JsonFilename.Is(name) ? JsonFilename.Parse(name) : null);
        if (given is null)
            return OpenChain(context, FileProtocolName(name), options, visited, depth, spec: null);
        var spec = ImageSpec.Resolve(context, given, options);
        if (referencedBy is not null)
        {
            ImageFileGuard.CheckReference(context, referencedBy, spec.Path, "backing file");
            if (visited.Contains(Identity(spec.Path)))
                throw new ImageException($"Backing file '{name}' creates an infinite loop.");
        }
        if (spec.Options.ForceShare && spec.Options.Writable)
            throw new ImageException("force-share=on can only be used with read-only images");
        return OpenChain(context, spec.Path, spec.Options, visited, depth, spec);
    }

    private static BlockDevice OpenChain(ImageContext context, string filename, OpenOptions options, HashSet<string> visited, int depth, ImageSpec? spec)
    {
        BlockDevice device = OpenFile(context, filename, options.Format, options.Writable, options, isBacking: depth > 0);
        try
        {
            if (spec is not null && context.Formats.Find(device.FormatName) is { } opened)
                device.Filename = spec.DisplayName(opened, filename);
            if (!options.NoBacking && options.DriverOptions is { } driverOptions && driverOptions.TryGetValue("backing", out string? reference))
                throw new ImageException($"Could not open backing file: Cannot find device='{reference}' nor node-name='{reference}'");
            var backingOptions = BackingOptions(options.DriverOptions);
            bool overridden = backingOptions is not null && backingOptions.Keys.Any(k => k == "file" || k.StartsWith("file.", StringComparison.Ordinal));
            if (device.BackingFilename is { } backingName || overridden)
            {
                string? full = null;
                if (device.BackingFilename is { } stored)
                {
                    full = JsonFilename.Is(stored) ? stored : ResolveBackingName(filename, stored);
                    device.FullBackingFilename = full;
                }
                if (!options.NoBacking)
                {
                    visited.Add(Identity(filename));
                    if (!overridden && !JsonFilename.Is(full!))
                    {
                        ImageFileGuard.CheckReference(context, filename, full!, "backing file");
                        if (visited.Contains(Identity(full!)) || depth >= MaxChainDepth)
                            throw new ImageException($"Backing file '{full}' creates an infinite loop.");
                    }
                    BlockDevice backing;
                    try
                    {
                        if (overridden)
                        {
                            var given = new BlockOptions();
                            foreach (var (key, value) in backingOptions!) given.Put(key, value);
                            backing = OpenBackingSpec(context, filename, given, options, visited, depth);
                        }
                        else
                        {
                            string? format = device.BackingFormat;
                            if (backingOptions is not null && backingOptions.Remove("driver", out string? driver))
                                format = driver;
                            var backingOpen = options with
                            {
                                Format = format, Writable = options.BackingWritable,
                                DriverOptions = backingOptions is { Count: > 0 } ? backingOptions : null,
                            };
                            if (JsonFilename.Is(full!))
                            {
                                if (depth >= MaxChainDepth)
                                    throw new ImageException($"Backing file '{full}' creates an infinite loop.");
                                backing = OpenAny(context, full!, backingOpen, visited, depth + 1, referencedBy: filename);
                            }
                            else
                            {
                                backing = OpenChain(context, full!, backingOpen, visited, depth + 1, spec: null);
                            }
                        }
                    }
                    catch (ImageException e) when (!e.Message.Contains("infinite loop", StringComparison.Ordinal) && e is not FormatNotSupportedException)
                    {
                        throw new ImageException($"Could not open backing file: {e.Message}", e);
                    }
                    try
                    {
                        device.AttachBacking(backing);
                    }
                    catch
                    {
                        backing.Dispose();
                        throw;
                    }
                }
            }
            return device;
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The protocols qemu-img 7.2 (Debian's build) knows by a "name:" prefix; a plain filename whose text before the
    /// first ':' (with no '/' before it) is none of these is refused as qemu's bdrv_find_protocol refuses it.
    /// </summary>
    private static readonly string[] QemuProtocols =
    [
        "file", "host_device", "host_cdrom", "nbd", "nbd+tcp", "nbd+unix", "http", "https", "ftp", "ftps", "ssh", "iscsi",
        "iser", "rbd", "gluster", "gluster+tcp", "gluster+unix", "gluster+rdma", "nfs", "null-co", "null-aio", "nvme",
        "fat", "blkdebug", "blkverify", "json",
    ];

    /// <summary>
    /// A plain filename as the file protocol opens it: "file:" is dropped (file-posix's parse_filename), an unknown
    /// protocol prefix is qemu's "Unknown protocol"; other names are returned unchanged.
    /// </summary>
    private static string FileProtocolName(string name)
    {
        int end = name.AsSpan().IndexOfAny(':', '/');
        if (end < 0 || name[end] != ':')
            return name;
        string protocol = name[..end];
        if (protocol == "file")
            return name[(end + 1)..];
        if (!QemuProtocols.Contains(protocol))
            throw new ImageException($"Unknown protocol '{protocol}'");
        return name;
    }

    /// <summary>A backing file given by the overlay's backing.* options (backing.driver, backing.file.filename, ...).</summary>
    private static BlockDevice OpenBackingSpec(ImageContext context, string overlay, BlockOptions given, OpenOptions options, HashSet<string> visited, int depth)
    {
        if (depth >= MaxChainDepth)
            throw new ImageException($"Backing file '{overlay}' creates an infinite loop.");
        var spec = ImageSpec.Resolve(context, given, options with { Format = null, Writable = options.BackingWritable, DriverOptions = null, NoBacking = false });
        ImageFileGuard.CheckReference(context, overlay, spec.Path, "backing file");
        if (visited.Contains(Identity(spec.Path)))
            throw new ImageException($"Backing file '{spec.Path}' creates an infinite loop.");
        return OpenChain(context, spec.Path, spec.Options, visited, depth + 1, spec);
    }

    /// <summary>Opens a single image without its backing chain (block-backend messages).</summary>
    public static BlockDevice OpenOne(ImageContext context, string filename, string? format, bool writable)
    {
        try
        {
            return OpenFile(context, filename, format, writable, new OpenOptions { Writable = writable }, isBacking: false);
        }
        catch (ImageException e) when (e is not FormatNotSupportedException)
        {
            throw new ImageException($"Could not open '{filename}': {e.Message}", e);
        }
    }

    /// <summary>One node: the file protocol, probing, locks and the format driver. Messages are node-level.</summary>
    private static BlockDevice OpenFile(ImageContext context, string filename, string? format, bool writable, OpenOptions options, bool isBacking)
    {
        ImageFormat? driver = null;
        if (format is not null)
            driver = context.Formats.Find(format) ?? throw new ImageException($"Unknown driver '{format}'");
        if (Directory.Exists(filename))
            throw new ImageException($"'file' driver requires '{filename}' to be a regular file");
        if (filename.Length > 0 && !System.IO.File.Exists(filename)) // "" is the file protocol's own error
            throw new ImageException($"Could not open '{filename}': No such file or directory");
        ImageFileGuard.BeforeOpen(context, filename);

        HostFile file = HostFile.Open(filename, writable, context.HostFaults);
        file.FlushIgnored = options.UnsafeCache;
        try
        {
            bool probed = driver is null;
            if (driver is null)
            {
                driver = ProbeFormat(context, file, filename);
                if (driver.Name == "raw" && writable)
                    context.Warn(ProbedRawWarning(filename));
            }
            if (!options.NoLocking)
                file.Lock.Apply(LockFor(driver.Name == "raw", isBacking, writable, options));
            var device = driver.Open(new OpenRequest(context, filename, file, writable, probed, options.ForCheck && !isBacking, options.NoIo,
                options with { Writable = writable }));
            try
            {
                CheckDriverOptions(driver, options.DriverOptions, options.NoBacking);
            }
            catch
            {
                device.Dispose();
                throw;
            }
            return device;
        }
        catch (ImageException)
        {
            file.Dispose();
            throw;
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or OverflowException or IndexOutOfRangeException)
        {
            // A driver should have reported this precisely; never let it escape as a crash.
            file.Dispose();
            throw new ImageException($"invalid image '{filename}': {e.Message}", e);
        }
    }

    /// <summary>The options under "backing." of an image's runtime options: its backing image's own.</summary>
    private static Dictionary<string, string>? BackingOptions(IReadOnlyDictionary<string, string>? options)
    {
        if (options is null) return null;
        var backing = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in options)
            if (key.StartsWith("backing.", StringComparison.Ordinal))
                backing[key["backing.".Length..]] = value;
        return backing.Count == 0 ? null : backing;
    }

    /// <summary>
    /// qemu's refusal of runtime options the driver did not take, after the driver opened (the first leftover in QDict
    /// order); keys for the backing image are taken unless the backing file is not opened.
    /// </summary>
    private static void CheckDriverOptions(ImageFormat driver, IReadOnlyDictionary<string, string>? options, bool noBacking)
    {
        if (options is null) return;
        var leftover = options.Keys.Where(key =>
            (noBacking || !(key == "backing" || key.StartsWith("backing.", StringComparison.Ordinal))) && !driver.RuntimeOptions.Contains(key));
        if (QDictOrder.Order(leftover).FirstOrDefault() is { } first)
            throw new ImageException($"Block format '{driver.Name}' does not support the option '{first}'");
    }

    /// <summary>
    /// The permissions an open holds and shares, as qemu-img 7.2 takes them (reference §5.2): format drivers
    /// with metadata never share write or resize; raw passes its user's permissions through; backing files
    /// are read like metadata formats; -U shares everything.
    /// </summary>
    public static LockRequest LockFor(bool isRaw, bool isBacking, bool writable, OpenOptions options)
    {
        const BlockPermission cr = BlockPermission.ConsistentRead;
        BlockPermission perm = options.NoIo ? BlockPermission.None : cr;
        BlockPermission shared;
        if (isBacking || !isRaw)
        {
            if (writable) perm |= BlockPermission.Write | BlockPermission.Resize;
            shared = cr | BlockPermission.WriteUnchanged;
        }
        else
        {
            if (writable) perm |= BlockPermission.Write;
            if (options.Resize) perm |= BlockPermission.Resize;
            shared = options.NoShare ? cr | BlockPermission.WriteUnchanged : BlockPermission.All;
        }
        if (options.ForceShare) shared = BlockPermission.All;
        return new LockRequest(perm, shared);
    }

    /// <summary>
    /// qemu's bdrv_default_perms_for_storage for a child holding only guest data (a qcow2 external data file): the
    /// user's permissions pass through as for raw, except that nobody else may resize the file, and a writer takes
    /// resize too (the format may write past its end).
    /// </summary>
    public static LockRequest LockForDataChild(bool writable, OpenOptions options)
    {
        var user = LockFor(isRaw: true, isBacking: false, writable, options);
        var perm = user.Perm;
        if ((perm & BlockPermission.Write) != 0) perm |= BlockPermission.Resize;
        var shared = options.ForceShare ? BlockPermission.All : user.Shared & ~BlockPermission.Resize;
        return new LockRequest(perm, shared);
    }

    /// <summary>qemu's probing: empty file → raw; otherwise the best score over the first 512 bytes.</summary>
    public static ImageFormat ProbeFormat(ImageContext context, HostFile file, string filename) =>
        ProbeFormat(context.Formats, file, filename);

    /// <summary>
    /// The format an existing file would be opened as when none is given, without opening it as an image (no locks,
    /// no driver): null when it is not a regular file (a FIFO's open would block) or cannot be read, which whoever
    /// opens it later reports.
    /// </summary>
    public static ImageFormat? ProbeFile(FormatRegistry formats, string path)
    {
        if (FileKind.Of(path, followLinks: true) != FileType.Regular)
            return null;
        try
        {
            using var file = HostFile.Open(path, writable: false);
            return ProbeFormat(formats, file, path);
        }
        catch (ImageException)
        {
            return null;
        }
    }

    private static ImageFormat ProbeFormat(FormatRegistry formats, HostFile file, string filename)
    {
        ImageFormat raw = formats.Find("raw") ?? throw new ImageException("raw driver missing");
        if (file.Length == 0)
            return raw;
        Span<byte> header = stackalloc byte[ProbeSize];
        file.Read(0, header);
        return formats.Probe(header, filename) ?? raw;
    }

    /// <summary>
    /// For callers that walk a chain themselves (info --backing-chain): may <paramref name="image"/> name
    /// <paramref name="backing"/> under the context's policy? Fails as <see cref="Open"/> would.
    /// </summary>
    public static void CheckBacking(ImageContext context, string image, string backing)
    {
        try
        {
            ImageFileGuard.CheckReference(context, image, backing, "backing file");
        }
        catch (ImageException e)
        {
            throw new ImageException($"Could not open '{image}': {e.Message}", e);
        }
    }

    /// <summary>
    /// A further file of an image being opened (qemu's bdrv_open_child): checked against the file policy, opened
    /// writable when the image is, and locked with the permissions qemu takes for a child of that role.
    /// </summary>
    internal static HostFile OpenChildFile(OpenRequest request, string path, string what, ChildRole role)
    {
        var options = request.Options ?? new OpenOptions { Writable = request.Writable };
        HostFile file = ImageFileGuard.OpenReferenced(request.Context, request.Filename, path, what, request.Writable);
        try
        {
            if (!options.NoLocking)
            {
                LockRequest For(OpenOptions o) => role == ChildRole.Data
                    ? LockForDataChild(request.Writable, o)
                    : LockFor(isRaw: false, isBacking: false, request.Writable, o);
                // qemu attaches the child while its image has no user yet (no permissions, everything shared from
                // above), so that is the conflict qemu names first; the user's own permissions come when it attaches
                file.Lock.Apply(For(new OpenOptions { ForceShare = options.ForceShare }) with { Perm = BlockPermission.None });
                file.Lock.Apply(For(options));
            }
            file.FlushIgnored = options.UnsafeCache;
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// qemu's path_combine: a relative backing name is taken relative to the directory part of the overlay's
    /// filename string (not realpath, not the working directory); absolute names are used as they are.
    /// </summary>
    public static string ResolveBackingName(string overlayFilename, string backingName)
    {
        if (backingName.StartsWith('/') || backingName.Length == 0)
            return backingName;
        int slash = overlayFilename.LastIndexOf('/');
        return slash < 0 ? backingName : overlayFilename[..(slash + 1)] + backingName;
    }

    private static string Identity(string path)
    {
        try
        {
            var info = new FileInfo(path);
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            return Path.GetFullPath(target?.FullName ?? info.FullName);
        }
        catch (IOException)
        {
            return Path.GetFullPath(path);
        }
    }
}
