using System.Text;
using ImageBuild.Engine;

namespace ImageBuild.Cli.CommandLine;

/// <summary>
/// An --object definition in qemu's keyval syntax (util/keyval.c with "qom-type" as the implied first key):
/// "key=value" pairs split at single commas (",," is a comma in a value), keys of QAPI name fragments joined by
/// '.', a later value replacing an earlier one. Errors carry keyval's messages.
/// </summary>
public static class ObjectDefinition
{
    /// <summary>The definition's flat key/value pairs (dotted keys kept whole), last value winning.</summary>
    public static Dictionary<string, string> Parse(string definition)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        int p = 0;
        bool first = true;
        while (p < definition.Length)
        {
            int keyEnd = p;
            while (keyEnd < definition.Length && definition[keyEnd] is not ('=' or ',')) keyEnd++;
            string key = definition[p..keyEnd];
            string value;
            if (keyEnd >= definition.Length || definition[keyEnd] == ',')
            {
                if (!first)
                    throw new ImageException($"Expected '=' after parameter '{key}'");
                // the implied key: the value runs to the next single comma
                p = OptionList.ReadValue(definition, p, out value);
                key = "qom-type";
            }
            else
            {
                CheckKey(key);
                p = OptionList.ReadValue(definition, keyEnd + 1, out value);
            }
            Put(result, key, value);
            first = false;
            if (p < definition.Length) p++; // the separating comma
        }
        return result;
    }

    /// <summary>
    /// A definition in JSON form (it starts with '{'): the object's members with their JSON types (string, long,
    /// double, bool, null, nested lists); a parse error is qemu's JSON parser message.
    /// </summary>
    public static Dictionary<string, object?> ParseJson(string definition)
    {
        object? value = ImageBuild.Engine.Block.QemuJsonParser.Parse(definition);
        if (value is not ImageBuild.Engine.Block.QemuJsonParser.JsonObject members)
            throw new ImageException("Invalid JSON object given");
        return members.ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);
    }

    private static void CheckKey(string key)
    {
        foreach (string fragment in key.Split('.'))
        {
            bool valid = fragment.Length > 0 && char.IsAsciiLetter(fragment[0]);
            foreach (char c in fragment)
                valid &= char.IsAsciiLetterOrDigit(c) || c is '-' or '_';
            if (!valid)
                throw new ImageException($"Invalid parameter '{key}'");
        }
    }

    /// <summary>keyval_parse_put: a key may not be both a value and a prefix of dotted keys.</summary>
    private static void Put(Dictionary<string, string> result, string key, string value)
    {
        foreach (var existing in result.Keys)
        {
            string? prefix = existing.StartsWith(key + ".", StringComparison.Ordinal) ? key
                : key.StartsWith(existing + ".", StringComparison.Ordinal) ? existing : null;
            if (prefix is not null)
                throw new ImageException($"Parameters '{prefix}.*' used inconsistently");
        }
        result[key] = value;
    }
}
