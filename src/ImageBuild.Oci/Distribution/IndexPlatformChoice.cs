using System.Text.Json;
using ImageBuild.Oci.Artifacts;

namespace ImageBuild.Oci.Distribution;

/// <summary>
/// Picks one manifest out of an OCI image index (how multi-architecture containerDisks are published): the one
/// for os linux and the wanted architecture, or the only OCI manifest of an index without platforms. The index is
/// untrusted: size and entry count are bounded and every digest checked; the chosen manifest is then fetched by
/// its digest, so the registry cannot substitute another.
/// </summary>
public static class IndexPlatformChoice
{
    /// <summary>The most entries an index may list.</summary>
    public const int MaxManifests = 1000;

    /// <summary>The digest of the manifest to pull; DistributionException when none fits, InvalidDataException for a broken index.</summary>
    public static string Choose(ReadOnlySpan<byte> index, string architecture, string shownAs)
    {
        var candidates = new List<(string Digest, string? Os, string? Architecture)>();
        try
        {
            var reader = new Utf8JsonReader(index, new JsonReaderOptions { MaxDepth = 16 });
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object ||
                !doc.RootElement.TryGetProperty("manifests", out var manifests) || manifests.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{shownAs}: the image index has no manifests");
            if (manifests.GetArrayLength() > MaxManifests)
                throw new InvalidDataException($"{shownAs}: the image index lists more than {MaxManifests} manifests");
            foreach (var entry in manifests.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.Object || String(entry, "mediaType") != OciMediaTypes.ImageManifest)
                    continue;
                string digest = String(entry, "digest") ?? "";
                if (!OciDigest.IsValid(digest))
                    throw new InvalidDataException($"{shownAs}: the image index lists a manifest without a valid sha256 digest");
                var platform = entry.TryGetProperty("platform", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
                candidates.Add((digest,
                    platform.ValueKind == JsonValueKind.Object ? String(platform, "os") : null,
                    platform.ValueKind == JsonValueKind.Object ? String(platform, "architecture") : null));
            }
        }
        catch (JsonException)
        {
            throw new InvalidDataException($"{shownAs}: the image index is not valid JSON");
        }
        var matching = candidates.Where(c => c.Os == ContainerDiskConfig.OperatingSystem && c.Architecture == architecture).ToList();
        if (matching.Count > 0)
            return matching[0].Digest;
        if (candidates.Count == 1 && candidates[0].Os is null && candidates[0].Architecture is null)
            return candidates[0].Digest;
        string offered = string.Join(", ", candidates.Select(c => $"{c.Os ?? "?"}/{c.Architecture ?? "?"}").Distinct());
        throw new DistributionException($"{shownAs}: the image index has no OCI manifest for linux/{architecture} (it has: {(offered.Length > 0 ? offered : "none")})");
    }

    private static string? String(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
