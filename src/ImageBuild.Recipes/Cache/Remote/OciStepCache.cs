using ImageBuild.Oci.Artifacts;
using ImageBuild.Oci.Registry;

namespace ImageBuild.Recipes.Cache.Remote;

/// <summary>
/// A step cache in one repository of an OCI registry. Each entry is an OCI 1.1 image manifest tagged
/// <c>step-HEX</c> (the key's 32 hex digits): artifactType <see cref="OciMediaTypes.StepArtifact"/>, config the step
/// record (<see cref="StepRecordConfig"/>), one layer per file of the output, main file first (a zstd tar of the
/// file with its zero blocks left out, <see cref="OciMediaTypes.DiskLayer"/> of the record's format, titled with the
/// file's name), annotations with the key, the kind and the engine version. Steps without output have no layer.
/// Layer digests of what was pushed or pulled are remembered in the output directory's state, so a later push of
/// the same file asks the registry for its blob instead of sending it again. A push given a file's data runs
/// (<see cref="StepFile.Extents"/>) reads the file once; a fetch hashes each file as it is extracted, so the
/// runner checks the record against those hashes without reading the files back.
/// </summary>
public sealed class OciStepCache : IStepCache, IDisposable
{
    /// <summary>The tag prefix of step entries; the key's hex digits follow.</summary>
    public const string TagPrefix = "step-";

    /// <summary>Manifest annotation: the step's kind.</summary>
    public const string KindAnnotation = "dev.imagebuild.step.kind";

    /// <summary>
    /// The largest file an entry may restore. A pulled file is extracted with the size its record gives as the limit
    /// (a layer holding more is refused as it streams, and the content hash checks the length afterwards), and a record
    /// giving more than this is refused before anything is downloaded: 64 TiB, above the largest image a qcow2 or
    /// VHDX file reaches in practice, so that no record can make a pull fill a disk beyond what it declared up front.
    /// </summary>
    public const long MaxFileSize = 64L << 40;

    private readonly RegistryClient _client;
    private readonly OciArtifactStore _store;
    private readonly BuildState _digests;
    private readonly Lock _gate = new();
    /// <summary>Manifests of entries found by this instance, by digest: Fetch reads the layers Find saw.</summary>
    private readonly Dictionary<string, OciManifest> _found = new(StringComparer.Ordinal);

    private OciStepCache(RegistryClient client, BuildState digests)
    {
        _client = client;
        _store = new OciArtifactStore(client);
        _digests = digests;
        Name = client.Repository.ToString();
    }

    public string Name { get; }

    /// <summary>Opens the repository <paramref name="reference"/> names, with the settings' TLS and credentials.</summary>
    /// <exception cref="StepCacheException">The reference is not a repository, or the registry cannot be used as set.</exception>
    public static IStepCache Open(string reference, StepCacheSettings settings, Action<string> warning, BuildState digests)
    {
        if (!OciReference.TryParse(reference, out var parsed, out string? error))
            throw new StepCacheException(error!);
        if (parsed!.Tag is not null || parsed.Digest is not null)
            throw new StepCacheException($"{reference}: a step cache is a repository, without tag or digest");
        try
        {
            var options = new RegistryOptions { PlainHttp = settings.PlainHttp, CaFile = settings.CaFile, AuthFile = settings.AuthFile, Warning = warning };
            return new OciStepCache(new RegistryClient(parsed, options), digests);
        }
        catch (Exception e) when (e is RegistryException or IOException or UnauthorizedAccessException or ArgumentException or FormatException)
        {
            throw new StepCacheException($"{parsed}: {OneLine(e.Message, parsed.ToString())}", e);
        }
    }

    /// <summary>The tag of a key ("xxh128:" + 32 hex digits).</summary>
    public static string TagOf(string key)
    {
        string hex = key.StartsWith(ContentHasher.Prefix, StringComparison.Ordinal) ? key[ContentHasher.Prefix.Length..] : key;
        if (hex.Length != 32 || !hex.All(char.IsAsciiHexDigitLower))
            throw new StepCacheException($"'{key}' is not a step key (xxh128: and 32 hex digits)");
        return TagPrefix + hex;
    }

    public CachedStep? Find(string key, CancellationToken ct)
    {
        string tag = TagOf(key);
        var found = Call(() => _store.FindAsync(tag, OciMediaTypes.StepArtifact, ct), tag);
        if (found is null) return null;
        string source = $"{Name}:{tag}";
        if (found.Manifest.Config.MediaType != OciMediaTypes.StepRecord)
            throw new StepCacheException($"{source}: its config is a '{found.Manifest.Config.MediaType}', not a step record");
        var config = StepRecordConfig.Parse(Call(() => _store.GetConfigAsync(found, StepRecordConfig.MaxSize, ct), tag), source);
        var record = config.Record;
        var names = NamesOf(record);
        if (found.Manifest.Layers.Count != names.Count)
            throw new StepCacheException($"{source}: its manifest has {found.Manifest.Layers.Count} layer(s) for {names.Count} file(s)");
        for (int i = 0; i < names.Count; i++)
        {
            var layer = found.Manifest.Layers[i];
            if (layer.Annotations?.GetValueOrDefault(OciAnnotations.Title) != names[i])
                throw new StepCacheException($"{source}: layer {i + 1} is not titled '{names[i]}'");
            if (SizeOf(record, i) is not (>= 0 and <= MaxFileSize))
                throw new StepCacheException($"{source}: the record gives file '{names[i]}' a size outside 0..64 TiB");
        }
        lock (_gate) _found[found.ManifestDigest] = found.Manifest;
        return new CachedStep(key, record, found.ManifestDigest);
    }

    /// <summary>Each file is hashed as it is extracted (<see cref="ContentHashBuilder"/> fed by the extractor): no file is read back.</summary>
    public IReadOnlyList<FetchedFile>? Fetch(CachedStep entry, string directory, CancellationToken ct)
    {
        OciManifest? manifest;
        lock (_gate) _found.TryGetValue(entry.Source, out manifest);
        if (manifest is null)
            throw new StepCacheException($"{Name}: the entry {entry.Source} was not looked up here");
        var names = NamesOf(entry.Record);
        var hashes = HashesOf(entry.Record);
        var fetched = new List<FetchedFile>(names.Count);
        for (int i = 0; i < names.Count; i++)
        {
            var layer = manifest.Layers[i];
            string dest = Path.Combine(directory, names[i]);
            var hash = new ContentHashBuilder();
            string got = Call(() => _store.PullFileAsync(layer, dest, SizeOf(entry.Record, i), hash.Append, ct), names[i]);
            if (got != names[i])
            {
                File.Delete(dest);
                throw new StepCacheException($"{Name}: layer {layer.Digest} holds '{got}', not '{names[i]}'");
            }
            string content = hash.Finish(LengthOf(dest));
            fetched.Add(new FetchedFile(names[i], content, hash.DataBytes));
            // Remembered only for the bytes the record names: a layer restoring others must not be offered again.
            if (content == hashes[i]) _digests.SetRemoteDigest(hashes[i], names[i], layer.Digest);
        }
        return fetched;
    }

    /// <summary>The length of a file just extracted (a stat, nothing read).</summary>
    private long LengthOf(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StepCacheException($"{Name}: {Path.GetFileName(path)}: the file extracted cannot be examined: {OneLine(e.Message, Name)}", e);
        }
    }

    public void Store(string key, StepRecord record, IReadOnlyList<StepFile> files, CancellationToken ct)
    {
        string tag = TagOf(key);
        var hashes = HashesOf(record);
        if (hashes.Count != files.Count)
            throw new StepCacheException($"{Name}: {tag}: the record lists {hashes.Count} file(s), {files.Count} given");
        string mediaType;
        try
        {
            mediaType = files.Count == 0 ? OciMediaTypes.EmptyJson
                : record.Format is { } format ? OciMediaTypes.DiskLayer(format) : OciMediaTypes.LayerTarZstd; // a file that is no image
        }
        catch (ArgumentException)
        {
            throw new StepCacheException($"{Name}: {tag}: the format '{record.Format}' cannot name a layer");
        }
        var layers = files.Select((f, i) => new ArtifactFile(f.Name, f.Path, mediaType, _digests.GetRemoteDigest(hashes[i], f.Name)) { KnownExtents = f.Extents }).ToList();
        var config = new StepRecordConfig { EngineVersion = StepRecordConfig.CurrentEngineVersion, Record = record }.ToJson();
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [OciAnnotations.StepKey] = key,
            [KindAnnotation] = record.Kind,
            [OciAnnotations.EngineVersion] = StepRecordConfig.CurrentEngineVersion,
        };
        var pushed = Call(() => _store.PushAsync(new ArtifactToPush(OciMediaTypes.StepArtifact, OciMediaTypes.StepRecord, config, layers, annotations), [tag], ct), tag);
        for (int i = 0; i < files.Count && i < pushed.Manifest.Layers.Count; i++)
            _digests.SetRemoteDigest(hashes[i], files[i].Name, pushed.Manifest.Layers[i].Digest);
    }

    public bool Contains(string key, CancellationToken ct)
    {
        string tag = TagOf(key);
        return Call(() => _client.HeadManifestAsync(tag, ct), tag) is not null;
    }

    public void Dispose() => _client.Dispose();

    /// <summary>Runs a registry call; its failures become one-line <see cref="StepCacheException"/>s naming the store.</summary>
    private T Call<T>(Func<Task<T>> call, string what)
    {
        try
        {
            return call().GetAwaiter().GetResult();
        }
        catch (RegistryException e)
        {
            throw new StepCacheException($"{Name}: {OneLine(e.Message, Name)}", e) { Unusable = e.Kind is RegistryFailure.Unreachable or RegistryFailure.Unauthorized or RegistryFailure.Denied };
        }
        catch (InvalidDataException e)
        {
            throw new StepCacheException($"{Name}: {what}: {OneLine(e.Message, Name)}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StepCacheException($"{Name}: {what}: {OneLine(e.Message, Name)}", e);
        }
    }

    private static IReadOnlyList<string> NamesOf(StepRecord record) =>
        record.Files is { Count: > 1 } files ? files.Select(f => f.Name).ToList() : record.Output is { } o ? [o] : [];

    private static IReadOnlyList<string> HashesOf(StepRecord record) =>
        record.Files is { Count: > 1 } files ? files.Select(f => f.Stamp.Hash).ToList()
        : record.Output is not null && record.OutputStamp is { } s ? [s.Hash] : [];

    private static long SizeOf(StepRecord record, int i) =>
        record.Files is { Count: > 1 } files ? files[i].Stamp.Size : record.OutputStamp?.Size ?? -1;

    /// <summary>A message on one line, without the store's name in front (the caller puts it there once).</summary>
    private static string OneLine(string message, string name)
    {
        message = message.Replace('\r', ' ').Replace('\n', ' ');
        return message.StartsWith(name + ": ", StringComparison.Ordinal) ? message[(name.Length + 2)..] : message;
    }
}
