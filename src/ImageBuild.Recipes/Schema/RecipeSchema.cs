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
                if (p.Required) required.Add((JsonNode)JsonValue.Create(p.Name));
            }
            defs[kind.Name] = new JsonObject
            {
                ["description"] = kind.Description,
                ["type"] = "object",
                ["properties"] = props,
                ["required"] = required,
                ["additionalProperties"] = false,
            };
            allOf.Add((JsonNode)new JsonObject
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
                ["cache"] = Cache(),
                ["steps"] = new JsonObject { ["type"] = "array", ["minItems"] = 1, ["items"] = new JsonObject { ["$ref"] = "#/$defs/step" } },
            },
            ["$defs"] = defs,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    /// <summary>The top-level <c>cache:</c> section (Loading/CacheParser.cs reads it): a reference, or a mapping of its settings.</summary>
    private static JsonObject Cache()
    {
        JsonObject Reference(string description) => new() { ["type"] = "string", ["pattern"] = "^(oci://)?[^/]+/.+$", ["description"] = description };
        JsonObject Switch(string description) => new()
        {
            ["type"] = new JsonArray("boolean", "string"), ["enum"] = new JsonArray(true, false, "true", "false", "yes", "no", "on", "off"), ["description"] = description,
        };
        JsonObject File(string description) => new() { ["type"] = "string", ["minLength"] = 1, ["description"] = description };
        return new JsonObject
        {
            ["description"] = "A remote step cache on an OCI registry: steps are looked up by key before they are built and pushed after (BuildKit's cache-from/cache-to). A reference oci://HOST[:PORT]/REPO reads and writes; a mapping names each setting. The command line's --cache, --cache-from, --cache-to, ... replace these field by field.",
            ["oneOf"] = new JsonArray(
                Reference("oci://HOST[:PORT]/REPO: looked up and pushed to."),
                new JsonObject
                {
                    ["type"] = "object",
                    ["additionalProperties"] = false,
                    ["minProperties"] = 1,
                    ["properties"] = new JsonObject
                    {
                        ["from"] = Reference("oci://HOST[:PORT]/REPO steps are looked up in (--cache-from)."),
                        ["to"] = Reference("oci://HOST[:PORT]/REPO built steps are pushed to (--cache-to)."),
                        ["required"] = Switch("A registry that fails, or serves something untrusted, fails the step (else: a warning, and the step is built here)."),
                        ["plain-http"] = Switch("Plain HTTP, for a registry on this machine (loopback) only."),
                        ["ca-file"] = File("PEM file of certificate authorities trusted besides the system's (relative to the recipe)."),
                        ["auth-file"] = File("Credentials file in Docker's config.json or Podman's auth.json form (relative to the recipe)."),
                    },
                }),
        };
    }

    /// <summary>A mapping whose keys are the parameter's fields.</summary>
    private static JsonObject MapOf(ParamSpec p)
    {
        var props = new JsonObject();
        foreach (var f in p.Fields)
        {
            var node = TypeOf(f);
            node["description"] = f.Description;
            if (f.Default is not null) node["default"] = f.Default;
            props[f.Name] = node;
        }
        return new JsonObject
        {
            ["type"] = "object",
            ["properties"] = props,
            ["required"] = new JsonArray(p.Fields.Where(f => f.Required).Select(f => (JsonNode)JsonValue.Create(f.Name)!).ToArray()),
            ["additionalProperties"] = false,
        };
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
        ParamType.TextList => new JsonObject
        {
            ["anyOf"] = new JsonArray(
                new JsonObject { ["type"] = "string" },
                new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } }),
        },
        ParamType.Map => MapOf(p),
        ParamType.MapList => new JsonObject { ["type"] = "array", ["minItems"] = 1, ["items"] = MapOf(p) },
        ParamType.Options => new JsonObject
        {
            ["type"] = "object",
            ["additionalProperties"] = new JsonObject { ["type"] = new JsonArray("string", "number", "boolean") },
        },
        _ => new JsonObject { ["type"] = "string" },
    };
}
