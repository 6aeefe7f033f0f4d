using System.Text.Json;

namespace ImageBuild.Oci.Distribution;

/// <summary>
/// The config blob of a pushed image artifact (artifactType <c>application/vnd.imagebuild.image.v1</c>): the image's
/// format, its virtual size and its files, main file first, in the order of the manifest's layers. Written
/// deterministically (keys sorted, no whitespace, nothing from the clock):
/// <c>{"files":["disk.vmdk","disk-flat.vmdk"],"format":"vmdk","virtualSize":1073741824}</c>.
/// </summary>
public sealed record ImageArtifactConfig(string Format, long VirtualSize, IReadOnlyList<string> Files)
{
    public const string MediaType = "application/vnd.imagebuild.image.config.v1+json";

    /// <summary>The largest config a pull reads.</summary>
    public const int MaxSize = 1 << 20;

    /// <summary>The most files an image may have.</summary>
    public const int MaxFiles = 1000;

    /// <summary>
    /// The largest file a pull accepts for this image: a host file may exceed the virtual size by the format's
    /// metadata (tables, snapshots), not by more than three times it plus 1 GiB.
    /// </summary>
    public long MaxFileSize => VirtualSize > (long.MaxValue - (1L << 30)) / 4 ? long.MaxValue : VirtualSize * 4 + (1L << 30);

    public byte[] ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("files");
            foreach (string file in Files)
                json.WriteStringValue(file);
            json.WriteEndArray();
            json.WriteString("format", Format);
            json.WriteNumber("virtualSize", VirtualSize);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads and validates a config; InvalidDataException "SHOWNAS: ..." (one line) on anything wrong.</summary>
    public static ImageArtifactConfig Parse(ReadOnlySpan<byte> content, string shownAs)
    {
        if (content.Length > MaxSize)
            throw new InvalidDataException($"{shownAs}: the image config is larger than {MaxSize} bytes");
        try
        {
            var reader = new Utf8JsonReader(content, new JsonReaderOptions { MaxDepth = 8 });
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Bad(shownAs, "is not a JSON object");
            string format = root.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString()! : throw Bad(shownAs, "has no format");
            if (format.Length is 0 or > 32 || !format.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9')))
                throw Bad(shownAs, "names an invalid format");
            long size = root.TryGetProperty("virtualSize", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long s) && s >= 0
                ? s : throw Bad(shownAs, "has no valid virtualSize");
            if (!root.TryGetProperty("files", out var filesElement) || filesElement.ValueKind != JsonValueKind.Array)
                throw Bad(shownAs, "has no files");
            int count = filesElement.GetArrayLength();
            if (count is 0 or > MaxFiles)
                throw Bad(shownAs, $"names {count} files (1 to {MaxFiles} allowed)");
            var files = new List<string>(count);
            foreach (var file in filesElement.EnumerateArray())
            {
                string name = file.ValueKind == JsonValueKind.String ? file.GetString()! : throw Bad(shownAs, "has a file name that is no string");
                if (ArtifactNames.Problem(name) is { } problem)
                    throw Bad(shownAs, "has " + problem);
                if (files.Contains(name, StringComparer.Ordinal))
                    throw Bad(shownAs, $"names the file '{name}' twice");
                files.Add(name);
            }
            return new ImageArtifactConfig(format, size, files);
        }
        catch (JsonException)
        {
            throw Bad(shownAs, "is not valid JSON");
        }
    }

    private static InvalidDataException Bad(string shownAs, string what) => new($"{shownAs}: the image config {what}");
}
