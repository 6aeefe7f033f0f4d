using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ImageBuild.Oci.Artifacts;

/// <summary>
/// JSON of <see cref="OciManifest"/> and its descriptors: written in a fixed order without whitespace, and parsed
/// without trusting the registry (bounded size and depth, no duplicate keys, every kept value checked).
/// </summary>
internal static partial class OciManifestJson
{
    private const long MaxSize = 1L << 62;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = false,
        // '+' in media types stays '+'; quotes, backslashes and control characters are still escaped.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonDocumentOptions ReaderOptions = new()
    {
        MaxDepth = 8,
        AllowDuplicateProperties = false,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    // RFC 6838 type/subtype names (image-spec descriptor.md).
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$", RegexOptions.CultureInvariant)]
    private static partial Regex MediaTypePattern();

    public static byte[] Write(OciManifest manifest)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("schemaVersion", manifest.SchemaVersion);
            w.WriteString("mediaType", manifest.MediaType);
            if (manifest.ArtifactType is not null) w.WriteString("artifactType", manifest.ArtifactType);
            w.WritePropertyName("config");
            WriteDescriptor(w, manifest.Config);
            w.WriteStartArray("layers");
            foreach (OciDescriptor layer in manifest.Layers) WriteDescriptor(w, layer);
            w.WriteEndArray();
            if (manifest.Subject is not null)
            {
                w.WritePropertyName("subject");
                WriteDescriptor(w, manifest.Subject);
            }
            WriteAnnotations(w, manifest.Annotations);
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void WriteDescriptor(Utf8JsonWriter w, OciDescriptor d)
    {
        w.WriteStartObject();
        w.WriteString("mediaType", d.MediaType);
        if (d.ArtifactType is not null) w.WriteString("artifactType", d.ArtifactType);
        w.WriteString("digest", d.Digest);
        w.WriteNumber("size", d.Size);
        WriteAnnotations(w, d.Annotations);
        w.WriteEndObject();
    }

    private static void WriteAnnotations(Utf8JsonWriter w, IReadOnlyDictionary<string, string>? annotations)
    {
        if (annotations is null || annotations.Count == 0) return;
        w.WriteStartObject("annotations");
        foreach (string key in annotations.Keys.Order(StringComparer.Ordinal)) w.WriteString(key, annotations[key]);
        w.WriteEndObject();
    }

    public static OciManifest Parse(ReadOnlySpan<byte> json, string source)
    {
        if (json.Length > OciManifest.MaxJsonSize)
            throw new InvalidDataException($"{source}: the manifest is {json.Length} bytes, more than {OciManifest.MaxJsonSize}");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), ReaderOptions);
        }
        catch (JsonException)
        {
            throw new InvalidDataException($"{source}: the manifest is not valid JSON (or repeats a key)");
        }
        using (document)
        {
            var p = new Parser(source);
            JsonElement root = document.RootElement;
            p.RequireKind(root, JsonValueKind.Object, "the manifest");
            JsonElement version = p.Required(root, "schemaVersion");
            if (version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out int schemaVersion) || schemaVersion != 2)
                throw p.Bad("schemaVersion is not 2");
            string mediaType = p.OptionalString(root, "mediaType") ?? OciMediaTypes.ImageManifest;
            if (mediaType != OciMediaTypes.ImageManifest)
                throw p.Bad($"the media type is '{Printable(mediaType)}', not an OCI image manifest");
            JsonElement layers = p.Required(root, "layers");
            p.RequireKind(layers, JsonValueKind.Array, "layers");
            if (layers.GetArrayLength() > OciManifest.MaxLayers)
                throw p.Bad($"the manifest has {layers.GetArrayLength()} layers, more than {OciManifest.MaxLayers}");
            var layerList = new List<OciDescriptor>(layers.GetArrayLength());
            int index = 0;
            foreach (JsonElement layer in layers.EnumerateArray()) layerList.Add(p.Descriptor(layer, $"layers[{index++}]"));
            return new OciManifest
            {
                SchemaVersion = schemaVersion,
                MediaType = mediaType,
                ArtifactType = p.OptionalMediaType(root, "artifactType", "artifactType"),
                Config = p.Descriptor(p.Required(root, "config"), "config"),
                Layers = layerList,
                Subject = root.TryGetProperty("subject", out JsonElement subject) ? p.Descriptor(subject, "subject") : null,
                Annotations = p.Annotations(root, "annotations"),
            };
        }
    }

    /// <summary>Text from a manifest, safe for a one-line message.</summary>
    private static string Printable(string text)
    {
        string cut = text.Length > 80 ? text[..80] : text;
        return string.Concat(cut.Select(c => char.IsControl(c) ? '?' : c));
    }

    private sealed class Parser(string source)
    {
        public OciDescriptor Descriptor(JsonElement e, string where)
        {
            RequireKind(e, JsonValueKind.Object, where);
            string mediaType = OptionalMediaType(e, "mediaType", where + ".mediaType") ?? throw Bad($"{where} has no mediaType");
            string digest = OptionalString(e, "digest") ?? throw Bad($"{where} has no digest");
            if (!OciDigest.IsValid(digest)) throw Bad($"{where} has digest '{Printable(digest)}', not sha256: and 64 lower-case hex digits");
            if (!e.TryGetProperty("size", out JsonElement size)) throw Bad($"{where} has no size");
            if (size.ValueKind != JsonValueKind.Number || !size.TryGetInt64(out long bytes) || bytes < 0 || bytes > MaxSize)
                throw Bad($"{where} has a size that is not a whole number from 0 to 2^62");
            return new OciDescriptor(mediaType, digest, bytes)
            {
                ArtifactType = OptionalMediaType(e, "artifactType", where + ".artifactType"),
                Annotations = Annotations(e, where + ".annotations"),
            };
        }

        public IReadOnlyDictionary<string, string>? Annotations(JsonElement parent, string where)
        {
            if (!parent.TryGetProperty("annotations", out JsonElement e)) return null;
            RequireKind(e, JsonValueKind.Object, where);
            var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty property in e.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.String) throw Bad($"{where} has a value that is not a string");
                map[property.Name] = property.Value.GetString()!;
            }
            return map;
        }

        public string? OptionalMediaType(JsonElement parent, string name, string where)
        {
            string? value = OptionalString(parent, name);
            if (value is not null && !MediaTypePattern().IsMatch(value)) throw Bad($"{where} '{Printable(value)}' is not a media type");
            return value;
        }

        public string? OptionalString(JsonElement parent, string name)
        {
            if (!parent.TryGetProperty(name, out JsonElement e)) return null;
            return e.ValueKind == JsonValueKind.String ? e.GetString() : throw Bad($"{name} is not a string");
        }

        public JsonElement Required(JsonElement parent, string name) =>
            parent.TryGetProperty(name, out JsonElement e) ? e : throw Bad($"the manifest has no {name}");

        public void RequireKind(JsonElement e, JsonValueKind kind, string what)
        {
            if (e.ValueKind != kind) throw Bad($"{what} is not a JSON {kind.ToString().ToLowerInvariant()}");
        }

        public InvalidDataException Bad(string what) => new($"{source}: {what}");
    }
}
