using System.Text.RegularExpressions;

namespace ImageBuild.Cli.CommandLine;

/// <summary>
/// --object OBJDEF as qemu-img 7.2 checks it (qom-type first, an identifier id, known properties). imagebuild has
/// no user for the objects yet (no encrypted formats), so a valid definition is accepted and otherwise ignored.
/// </summary>
public sealed partial class ObjectOption
{
    /// <summary>The user-creatable types qemu-img 7.2 lists for "--object help".</summary>
    private static readonly string[] Types =
    [
        "authz-list", "authz-list-file", "authz-simple", "main-loop", "pr-manager-helper", "secret", "secret_keyring",
        "thread-context", "throttle-group", "tls-cipher-suites", "tls-creds-anon", "tls-creds-psk", "tls-creds-x509",
    ];

    private static readonly string[] SecretProperties = ["data", "file", "format", "iv", "keyid", "loaded"];

    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_.-]*$")]
    private static partial Regex Identifier();

    /// <summary>Validates one --object; on error prints qemu's message and exits with <paramref name="exitCode"/>.</summary>
    public void Add(CliIO io, string definition, int exitCode = 1)
    {
        if (Check(definition) is { } error)
        {
            io.Error(error);
            throw new CommandExitException(exitCode);
        }
    }

    /// <summary>qemu's message for an invalid definition, or null when it is accepted.</summary>
    public string? Check(string definition)
    {
        var pairs = ParseWithImpliedType(definition);
        string? type = pairs.Find(p => p.Key == "qom-type").Value;
        if (type is null)
            return "Parameter 'qom-type' is missing";
        if (!Types.Contains(type))
            return $"Parameter 'qom-type' does not accept value '{type}'";
        string? id = pairs.Find(p => p.Key == "id").Value;
        if (id is null)
            return "Parameter 'id' is missing";
        if (!Identifier().IsMatch(id))
            return "Parameter 'id' expects an identifier\nIdentifiers consist of letters, digits, '-', '.', '_', starting with a letter.";
        if (type != "secret")
            return _ids.Add(id) ? null : $"attempt to add duplicate property '{id}' to object (type 'container')";

        foreach (var (key, _) in pairs)
            if (key is not ("qom-type" or "id") && !SecretProperties.Contains(key))
                return $"Parameter '{key}' is unexpected";
        if (pairs.Find(p => p.Key == "format").Value is { } format && format is not ("raw" or "base64"))
            return $"Parameter 'format' does not accept value '{format}'";
        string? data = pairs.Find(p => p.Key == "data").Value;
        string? file = pairs.Find(p => p.Key == "file").Value;
        if (data is null && file is null)
            return "Either 'file' or 'data' must be provided";
        if (data is null && file is not null && !File.Exists(file))
            return $"Unable to read {file}: Failed to open file \u201C{file}\u201D: No such file or directory";
        return _ids.Add(id) ? null : $"attempt to add duplicate property '{id}' to object (type 'container')";
    }

    /// <summary>QemuOpts parsing with "qom-type" as the implied name of a leading value without '='.</summary>
    private static List<KeyValuePair<string, string>> ParseWithImpliedType(string definition)
    {
        int comma = IndexOfSingleComma(definition);
        string first = comma < 0 ? definition : definition[..comma];
        if (first.Length > 0 && !first.Contains('='))
        {
            var rest = comma < 0 ? [] : OptionList.Parse(definition[(comma + 1)..], keepId: true);
            rest.Insert(0, new("qom-type", first.Replace(",,", ",", StringComparison.Ordinal)));
            return rest;
        }
        return OptionList.Parse(definition, keepId: true);
    }

    private static int IndexOfSingleComma(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] != ',') continue;
            if (i + 1 < s.Length && s[i + 1] == ',') { i++; continue; }
            return i;
        }
        return -1;
    }
}
