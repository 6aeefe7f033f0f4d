using System.Text.RegularExpressions;
using ImageBuild.Engine;
using ImageBuild.Engine.Block;
using ImageBuild.Engine.Secrets;

namespace ImageBuild.Cli.CommandLine;

/// <summary>
/// --object OBJDEF as qemu-img 7.2 takes it (user_creatable_process_cmdline; keyval, or JSON when it starts with
/// '{'): checked as qemu's visitor checks it
/// (qom-type first, an identifier id, known properties), then created: a "secret" is loaded (data or file, base64,
/// decrypted with another secret's key) into <see cref="Secrets"/>, which the command's engine context then carries.
/// Other types are checked and otherwise ignored (nothing in imagebuild uses them).
/// </summary>
public sealed partial class ObjectOption
{
    /// <summary>The user-creatable types qemu-img 7.2 lists for "--object help".</summary>
    private static readonly string[] Types =
    [
        "authz-list", "authz-list-file", "authz-simple", "main-loop", "pr-manager-helper", "secret", "secret_keyring",
        "thread-context", "throttle-group", "tls-cipher-suites", "tls-creds-anon", "tls-creds-x509", "tls-creds-psk",
    ];

    /// <summary>A secret's properties in the order qemu's visitor checks them (SecretCommonProperties, then SecretProperties).</summary>
    private static readonly string[] SecretProperties = ["loaded", "format", "keyid", "iv", "data", "file"];

    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);

    /// <summary>The secrets loaded so far (values never printed).</summary>
    public SecretStore Secrets { get; } = new();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_.-]*$")]
    private static partial Regex Identifier();

    /// <summary>Creates one --object; on error prints qemu's message and exits with <paramref name="exitCode"/>.</summary>
    public void Add(CliIO io, string definition, int exitCode = 1)
    {
        if (Check(definition) is { } error)
        {
            io.Error(error);
            throw new CommandExitException(exitCode);
        }
    }

    /// <summary><paramref name="engine"/> carrying the secrets loaded here (itself when there are none).</summary>
    public ImageContext Apply(ImageContext engine) => _ids.Count == 0 ? engine : engine.WithSecrets(Secrets);

    /// <summary>Creates the object: qemu's message for an invalid definition or a failed load, or null when it is created.</summary>
    public string? Check(string definition)
    {
        Dictionary<string, object?> props;
        bool json = definition.StartsWith('{');
        try
        {
            props = json ? ObjectDefinition.ParseJson(definition) : ObjectDefinition.Parse(definition).ToDictionary(p => p.Key, p => (object?)p.Value);
            if (!props.ContainsKey("qom-type"))
                return "Parameter 'qom-type' is missing";
            string type = Text(props, "qom-type")!;
            if (!Types.Contains(type))
                return $"Parameter 'qom-type' does not accept value '{type}'";
            if (!props.ContainsKey("id"))
                return "Parameter 'id' is missing";
            string id = Text(props, "id")!;
            if (!Identifier().IsMatch(id))
                return "Parameter 'id' expects an identifier\nIdentifiers consist of letters, digits, '-', '.', '_', starting with a letter.";
            if (type != "secret")
                return _ids.Add(id) ? null : Duplicate(id);
            return CreateSecret(id, props, json);
        }
        catch (ImageException e)
        {
            return e.Message;
        }
    }

    /// <summary>A secret: the visitor's checks in the schema's order, then the property setters, the id, the load.</summary>
    private string? CreateSecret(string id, Dictionary<string, object?> props, bool json)
    {
        if (props.TryGetValue("loaded", out object? loaded))
        {
            if (json && loaded is not bool)
                return "Invalid parameter type for 'loaded', expected: boolean";
            if (!json && loaded is not ("on" or "off"))
                return "Parameter 'loaded' expects 'on' or 'off'";
        }
        string? format = Text(props, "format");
        if (format is not null && format is not ("raw" or "base64"))
            return $"Parameter 'format' does not accept value '{format}'";
        string? keyId = Text(props, "keyid"), iv = Text(props, "iv"), data = Text(props, "data"), file = Text(props, "file");
        // the members the visitor did not take, the first in the order qemu's hash table gives them
        var members = props.Keys.Select(k => k.Split('.')[0]).Distinct().ToList();
        foreach (string member in GHashTableOrder.Order(members))
        {
            if (member is "qom-type" or "id" || (SecretProperties.Contains(member) && props.ContainsKey(member)))
                continue;
            return props.ContainsKey(member) ? $"Parameter '{member}' is unexpected" : $"Parameters '{member}.*' are unexpected";
        }
        if (loaded is not null)
            return "Property 'secret.loaded' is not writable";
        if (!_ids.Add(id))
            return Duplicate(id);

        var secret = new SecretObject(id)
        {
            Data = data, File = file, KeyId = keyId, Iv = iv,
            Format = format == "base64" ? SecretFormat.Base64 : SecretFormat.Raw,
        };
        try
        {
            byte[] value = secret.Load(Secrets, other => _ids.Contains(other) && !Secrets.Contains(other));
            Secrets.Add(id, value);
            Array.Clear(value);
            return null;
        }
        catch (ImageException e)
        {
            _ids.Remove(id); // qemu deletes the object whose completion failed (the command exits anyway)
            return e.Message;
        }
    }

    /// <summary>A string property (null when absent); another JSON type is the visitor's type error.</summary>
    private static string? Text(Dictionary<string, object?> props, string key) =>
        !props.TryGetValue(key, out object? value) ? null
        : value as string ?? throw new ImageException($"Invalid parameter type for '{key}', expected: string");

    private static string Duplicate(string id) => $"attempt to add duplicate property '{id}' to object (type 'container')";
}
