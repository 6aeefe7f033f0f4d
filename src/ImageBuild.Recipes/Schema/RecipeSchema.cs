using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImageBuild.Recipes.Schema;

/// <summary>
/// Renders the step-kind table as a JSON Schema (draft 2020-12) for editors: recipes/recipe.schema.json is this
/// output. Values may also be "${variable}" strings, so typed parameters accept strings too.
/// </summary>
public static class RecipeSchema
{
    public static string Generate(StepKinds kinds)
    {
        var defs = new JsonObject
        {
            ["size"] = new JsonObject
            {
                ["description"] = "Bytes, with an optional k, M, G, T, P or E suffix (powers of 1024), or a ${variable}.",
                ["anyOf"] = new JsonArray(
                    new JsonObject { ["type"] = "integer", ["minimum"] = 0 },
                    new JsonObject { ["type"] = "string", ["pattern"] = @"^(\s*(0x[0-9a-fA-F]+|[0-9]+(\.[0-9]+)?)[bBkKmMgGtTpPeE]?|.*\$\{.*\}.*)$" }),
            },
            ["sizeDelta"] = new JsonObject
            {
                ["description"] = "SIZE, +SIZE or -SIZE.",
                ["anyOf"] = new JsonArray(
                    new JsonObject { ["type"] = "integer", ["minimum"] = 0 },
                    new JsonObject { ["type"] = "string", ["pattern"] = @"^([+-]?(0x[0-9a-fA-F]+|[0-9]+(\.[0-9]+)?)[bBkKmMgGtTpPeE]?|.*\$\{.*\}.*)$" }),
            },
            ["variableRef"] = new JsonObject { ["type"] = "string", ["pattern"] = @"\$\{[A-Za-z0-9._-]+\}" },
            ["stepId"] = new JsonObject { ["type"] = "string", ["pattern"] = "^[A-Za-z0-9][A-Za-z0-9._-]*$" },
        };

        var allOf = new JsonArray();
        foreach (var kind in kinds.Ordered)
        {
            var props = new JsonObject();
            var required = new JsonArray();
            foreach (var p in StepKinds.AllParams(kind))
            {
                JsonObject node = p.Name == "kind"
                    ? new JsonObject { ["const"] = kind.Name }
                    : TypeOf(p);
                node["description"] = p.Description;
                if (p.Default is not null) node["default"] = p.Default;
                props[p.Name] = node;
                if (p.Required) required.Add(p.Name);
            }
            defs[kind.Name] = new JsonObject
            {
                ["description"] = kind.Description,
                ["type"] = "object",
                ["properties"] = props,
                ["required"] = required,
                ["additionalProperties"] = false,
            };
            allOf.Add(new JsonObject
            {
                ["if"] = new JsonObject { ["properties"] = new JsonObject { ["kind"] = new JsonObject { ["const"] = kind.Name } }, ["required"] = new JsonArray("kind") },
                ["then"] = new JsonObject { ["$ref"] = $"#/$defs/{kind.Name}" },
            });
        }
        defs["step"] = new JsonObject
        {
            ["type"] = "object",
            ["required"] = new JsonArray("id", "kind"),
            ["properties"] = new JsonObject
            {
                ["id"] = new JsonObject { ["$ref"] = "#/$defs/stepId" },
                ["kind"] = new JsonObject { ["enum"] = new JsonArray(kinds.Ordered.Select(k => (JsonNode)JsonValue.Create(k.Name)!).ToArray()) },
            },
            ["allOf"] = allOf,
        };

        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = "https://example.invalid/imagebuild/recipe.schema.json",
            ["title"] = "ImageBuild recipe",
            ["description"] = "How an image is made: named steps over the ImageBuild engine. See recipes/README.md.",
            ["type"] = "object",
            ["required"] = new JsonArray("steps"),
            ["additionalProperties"] = false,
            ["properties"] = new JsonObject
            {
                ["name"] = new JsonObject { ["type"] = "string", ["description"] = "Name of the recipe." },
                ["description"] = new JsonObject { ["type"] = "string" },
                ["output-dir"] = new JsonObject { ["type"] = "string", ["description"] = "Output directory relative to the recipe (the caller's --output-dir wins). Default: out/RECIPE-NAME beside the recipe." },
                ["untrusted-images"] = new JsonObject
                {
                    ["type"] = new JsonArray("boolean", "string"),
                    ["enum"] = new JsonArray(true, false, "true", "false", "yes", "no", "on", "off"),
                    ["description"] = "The recipe's existing images (image steps, image-file) may name as backing or data file only regular files inside their own directory (the caller's --untrusted sets it too). Devices, FIFOs and sockets are never opened either way.",
                },
                ["variables"] = new JsonObject
                {
                    ["type"] = "object",
                    ["description"] = "Variables with default values; use as ${name} in any value; override with --set name=value.",
                    ["propertyNames"] = new JsonObject { ["pattern"] = "^[A-Za-z0-9][A-Za-z0-9._-]*$" },
                    ["additionalProperties"] = new JsonObject { ["type"] = new JsonArray("string", "number", "boolean") },
                },
                ["secrets"] = new JsonObject
                {
                    ["type"] = "object",
                    ["description"] = "Secrets that step options name (key-secret: ID, encrypt.key-secret: ID), each read from an environment variable or a file; a value written in the recipe is refused. Step keys cover each secret's id and source, never its value.",
                    ["propertyNames"] = new JsonObject { ["pattern"] = "^[A-Za-z0-9][A-Za-z0-9._-]*$" },
                    ["additionalProperties"] = new JsonObject
                    {
                        ["oneOf"] = new JsonArray(
                            new JsonObject
                            {
                                ["type"] = "object", ["required"] = new JsonArray("env"), ["additionalProperties"] = false,
                                ["properties"] = new JsonObject { ["env"] = new JsonObject { ["type"] = "string", ["minLength"] = 1, ["description"] = "Environment variable holding the secret (its UTF-8 bytes)." } },
                            },
                            new JsonObject
                            {
                                ["type"] = "object", ["required"] = new JsonArray("file"), ["additionalProperties"] = false,
                                ["properties"] = new JsonObject { ["file"] = new JsonObject { ["type"] = "string", ["minLength"] = 1, ["description"] = "File holding the secret (its bytes, nothing stripped), relative to the recipe; at most 1 MiB." } },
                            }),
                    },
                },
                ["steps"] = new JsonObject { ["type"] = "array", ["minItems"] = 1, ["items"] = new JsonObject { ["$ref"] = "#/$defs/step" } },
            },
            ["$defs"] = defs,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    private static JsonObject TypeOf(ParamSpec p) => p.Type switch
    {
        ParamType.Size => new JsonObject { ["$ref"] = "#/$defs/size" },
        ParamType.SizeDelta => new JsonObject { ["$ref"] = "#/$defs/sizeDelta" },
        ParamType.Integer => new JsonObject
        {
            ["anyOf"] = new JsonArray(
                new JsonObject { ["type"] = "integer", ["minimum"] = p.Min, ["maximum"] = p.Max },
                new JsonObject { ["$ref"] = "#/$defs/variableRef" }),
        },
        ParamType.Bool => new JsonObject { ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "boolean" }, new JsonObject { ["$ref"] = "#/$defs/variableRef" }) },
        ParamType.Enum => new JsonObject { ["enum"] = new JsonArray(p.Values.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray()) },
        ParamType.StepRef => new JsonObject { ["$ref"] = "#/$defs/stepId" },
        ParamType.StepRefList => new JsonObject
        {
            ["anyOf"] = new JsonArray(
                new JsonObject { ["$ref"] = "#/$defs/stepId" },
                new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["$ref"] = "#/$defs/stepId" } }),
        },
        ParamType.FileName => new JsonObject { ["type"] = "string", ["pattern"] = @"^[^./\\][^/\\]*$" },
        ParamType.Options => new JsonObject
        {
            ["type"] = "object",
            ["additionalProperties"] = new JsonObject { ["type"] = new JsonArray("string", "number", "boolean") },
        },
        _ => new JsonObject { ["type"] = "string" },
    };
}
