using System.Text.Json;

namespace ImageBuild.Oci.Distribution;

/// <summary>
/// The OCI image config (application/vnd.oci.image.config.v1+json) of a containerDisk: architecture, os linux,
/// rootfs of type layers with the layer's diff_id, an empty runtime config and no created time or history, so the
/// same disk gives the same config digest everywhere. Keys sorted, no whitespace.
/// </summary>
public sealed record ContainerDiskConfig(string Architecture, IReadOnlyList<string> DiffIds)
{
    public const string OperatingSystem = "linux";

    /// <summary>The largest config a pull reads.</summary>
    public const int MaxSize = 1 << 20;

    /// <summary>Whether <paramref name="architecture"/> looks like a GOARCH value (what image configs name).</summary>
    public static bool IsValidArchitecture(string architecture) =>
        architecture.Length is > 0 and <= 32 && architecture.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9'));

    public byte[] ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("architecture", Architecture);
            json.WriteStartObject("config");
            json.WriteEndObject();
            json.WriteString("os", OperatingSystem);
            json.WriteStartObject("rootfs");
            json.WriteStartArray("diff_ids");
            foreach (string diffId in DiffIds)
                json.WriteStringValue(diffId);
            json.WriteEndArray();
            json.WriteString("type", "layers");
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads what a pull needs (architecture, rootfs diff_ids); InvalidDataException "SHOWNAS: ..." on anything wrong.</summary>
    public static ContainerDiskConfig Parse(ReadOnlySpan<byte> content, string shownAs)
    {
        if (content.Length > MaxSize)
            throw new InvalidDataException($"{shownAs}: the image config is larger than {MaxSize} bytes");
        try
        {
            var reader = new Utf8JsonReader(content, new JsonReaderOptions { MaxDepth = 64 });
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Bad(shownAs, "is not a JSON object");
            string architecture = root.TryGetProperty("architecture", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : "";
            if (!root.TryGetProperty("rootfs", out var rootfs) || rootfs.ValueKind != JsonValueKind.Object ||
                !rootfs.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "layers" ||
                !rootfs.TryGetProperty("diff_ids", out var ids) || ids.ValueKind != JsonValueKind.Array)
                throw Bad(shownAs, "has no rootfs of type layers");
            var diffIds = new List<string>();
            foreach (var id in ids.EnumerateArray())
            {
                string value = id.ValueKind == JsonValueKind.String ? id.GetString()! : "";
                if (!ImageBuild.Oci.Artifacts.OciDigest.IsValid(value))
                    throw Bad(shownAs, "has a diff_id that is no sha256 digest");
                diffIds.Add(value);
            }
            return new ContainerDiskConfig(architecture, diffIds);
        }
        catch (JsonException)
        {
            throw Bad(shownAs, "is not valid JSON");
        }
    }

    private static InvalidDataException Bad(string shownAs, string what) => new($"{shownAs}: the image config {what}");
}
