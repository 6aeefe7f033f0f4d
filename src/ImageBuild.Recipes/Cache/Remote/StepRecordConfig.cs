using System.Reflection;
using System.Text.Json;

namespace ImageBuild.Recipes.Cache.Remote;

/// <summary>
/// The config blob of a step-cache entry (media type <c>application/vnd.imagebuild.step.record.v1+json</c>): the
/// step record and the version of the engine that built it. Deterministic JSON: properties in declaration order,
/// the record's inputs sorted, nulls left out, no whitespace; the record carries no modification times
/// (the runner sends them as 0), so the same step built anywhere with the same engine gives the same blob.
/// </summary>
public sealed record StepRecordConfig
{
    /// <summary>A config larger than this is not a step record: it is refused before it is read.</summary>
    public const long MaxSize = 1 << 20;

    /// <summary>ImageBuild.Engine's informational version where the step was built (for people; keys cover kind versions).</summary>
    public required string EngineVersion { get; init; }

    public required StepRecord Record { get; init; }

    /// <summary>This build's engine version.</summary>
    public static string CurrentEngineVersion =>
        typeof(ImageBuild.Engine.ImageException).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public byte[] ToJson()
    {
        var sorted = Record with { Inputs = new Dictionary<string, string>(Record.Inputs.OrderBy(p => p.Key, StringComparer.Ordinal), StringComparer.Ordinal) };
        return JsonSerializer.SerializeToUtf8Bytes(this with { Record = sorted }, StepRecordConfigJson.Default.StepRecordConfig);
    }

    /// <summary>Reads a config blob; <see cref="StepCacheException"/> (naming <paramref name="source"/>) when it is not a step record.</summary>
    public static StepRecordConfig Parse(ReadOnlySpan<byte> json, string source)
    {
        StepRecordConfig? config;
        try
        {
            config = JsonSerializer.Deserialize(json, StepRecordConfigJson.Default.StepRecordConfig);
        }
        catch (JsonException)
        {
            throw new StepCacheException($"{source}: its config is not a step record (malformed JSON)");
        }
        if (config?.Record is not { Key: not null, Kind: not null } record)
            throw new StepCacheException($"{source}: its config is not a step record");
        return config with
        {
            Record = record with { Inputs = new Dictionary<string, string>(record.Inputs ?? [], StringComparer.Ordinal) },
        };
    }
}
